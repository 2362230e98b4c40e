package io.aiostreams

import io.aiostreams.internal.HostNames
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import java.net.InetAddress
import java.net.UnknownHostException

/**
 * Numeric addresses are parsed on the caller's thread; names are looked up (only `localhost` here: the hosts file, no
 * network); bad ones fail as the JDK's lookup does.
 */
class HostNamesSpec :
    FunSpec({
        test("numericAddressesAreRecognisedAndNamesAreNot") {
            for (numeric in listOf("127.0.0.1", "0.0.0.0", "255.255.255.255", "::1", "[::1]", "fe80::1%1", "::")) {
                HostNames.isNumeric(numeric) shouldBe true
            }
            for (name in listOf("localhost", "127.0.0.256", "127.1", "1.2.3", "1.2.3.4.5", "a.b.c.d", "", "1..2.3")) {
                HostNames.isNumeric(name) shouldBe false
            }
        }

        test("aNumericAddressResolvesWithoutLeavingTheCallersThread") {
            withContext(EventLoop.dispatcher) {
                val caller = Thread.currentThread()
                HostNames.resolve("127.0.0.1").toList() shouldBe listOf(InetAddress.getByName("127.0.0.1"))
                Thread.currentThread() shouldBe caller
                HostNames.resolve("::1").toList() shouldBe listOf(InetAddress.getByName("::1"))
            }
        }

        test("localhostIsLookedUpAndABadNumericAddressFailsAsTheJdkLookupDoes") {
            HostNames.resolve("localhost").isNotEmpty() shouldBe true
            withContext(Dispatchers.Default) {
                shouldThrow<UnknownHostException> { HostNames.resolve("::zz") }
            }
        }
    })
