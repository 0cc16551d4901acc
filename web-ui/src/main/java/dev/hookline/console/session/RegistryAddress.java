/*
 * Where the console reaches the registry API: the registry's own listening socket (loopback
 * HTTP), never an address taken from a request header, so a forged Host cannot make the console
 * send a user's token elsewhere.
 */
package dev.hookline.console.session;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.net.URI;
import java.util.Optional;

/**
 * The registry base URL for console API calls: {@code hookline.console.registry-url} when set
 * (e.g. behind TLS termination that the console cannot reach on its own socket), else the local
 * address and port of the connection the browser's request arrived on (the registry's own
 * server socket).
 */
@ApplicationScoped
public class RegistryAddress {

    @ConfigProperty(name = "hookline.console.registry-url")
    Optional<String> configured;

    /** The base URL to call the API at, for a request received on {@code request}'s connection. */
    public URI baseUrl(HttpServerRequest request) {
        if (configured.isPresent() && !configured.get().isBlank()) {
            return URI.create(configured.get().strip());
        }
        SocketAddress local = request.localAddress();
        String host = local.hostAddress();
        if (host == null || host.isEmpty() || host.equals("0.0.0.0") || host.equals("::")) {
            host = "127.0.0.1";
        }
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return URI.create((request.isSSL() ? "https" : "http") + "://" + host + ":" + local.port());
    }
}
