package io.aiostreams.protocol

/**
 * What [createConnection] returns: the [transport] and the [protocol] the factory made, destructurable as
 * `val (transport, protocol) = createConnection(...)`.
 *
 * **Python:** the `(transport, protocol)` tuple of `loop.create_connection()`.
 */
public class ProtocolConnection<P : Protocol> internal constructor(
    /** The connection's transport. */
    public val transport: Transport,
    /** The protocol instance serving the connection. */
    public val protocol: P,
) {
    /** [transport]. */
    public operator fun component1(): Transport = transport

    /** [protocol]. */
    public operator fun component2(): P = protocol
}
