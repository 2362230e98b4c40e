package io.aiostreams.internal

import org.slf4j.Logger
import org.slf4j.LoggerFactory

/**
 * The library's SLF4J loggers, one per concern; the README's "Logging" section lists what each logs at which level.
 * Nothing is logged on a path that works: only failures nobody else is told about.
 */
internal object Loggers {
    /** Listening sockets: `accept()` failures and pauses, addresses skipped at bind time. */
    val accept: Logger = LoggerFactory.getLogger("io.aiostreams.accept")

    /** Stream servers: handler failures (`client_connected_cb`), and connections lost while being set up. */
    val server: Logger = LoggerFactory.getLogger("io.aiostreams.server")

    /** The callback layer: a protocol's callback that threw, on a client's or a server's connection. */
    val protocol: Logger = LoggerFactory.getLogger("io.aiostreams.protocol")

    /** UDP endpoints: callbacks that threw, fatal send errors. */
    val datagram: Logger = LoggerFactory.getLogger("io.aiostreams.datagram")

    /** Stream connections: writes to a connection already lost, writers dropped without being closed. */
    val transport: Logger = LoggerFactory.getLogger("io.aiostreams.transport")
}
