package io.aiostreams.protocol

/**
 * What [createDatagramEndpoint] returns: the [transport] and the [protocol] the factory made, destructurable as
 * `val (transport, protocol) = createDatagramEndpoint(...)`.
 *
 * **Python:** the `(transport, protocol)` tuple of `loop.create_datagram_endpoint()`.
 */
public class DatagramEndpoint<P : DatagramProtocol> internal constructor(
    /** The endpoint's transport. */
    public val transport: DatagramTransport,
    /** The protocol instance serving the endpoint. */
    public val protocol: P,
) {
    /** [transport]. */
    public operator fun component1(): DatagramTransport = transport

    /** [protocol]. */
    public operator fun component2(): P = protocol
}
