package io.aiostreams.internal

import io.aiostreams.protocol.Protocol

/** Where a connection's protocol callbacks go: the one protocol a [TransportView] reports and replaces. */
internal interface ProtocolSlot {
    var protocol: Protocol
}
