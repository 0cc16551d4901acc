/*
 * The Quarkus side of the node: reads `hookline.serve.*` configuration (the launcher maps
 * `./hookline serve` options onto it), starts the ServingNode at startup and closes it at
 * shutdown. Follows the Quarkus quickstarts (an @ApplicationScoped service observing lifecycle events).
 */
package dev.hookline.serving.api;

import dev.hookline.serving.node.ServeConfig;
import dev.hookline.serving.node.ServingNode;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/** Owns the node for the application's lifetime. */
@ApplicationScoped
public class ServingRuntime {
    private static final Logger LOG = Logger.getLogger(ServingRuntime.class);

    @ConfigProperty(name = "hookline.serve.registry")
    Optional<String> registry;
    @ConfigProperty(name = "hookline.serve.token")
    Optional<String> token;
    @ConfigProperty(name = "hookline.serve.model")
    Optional<String> model;
    @ConfigProperty(name = "hookline.serve.channel")
    Optional<String> channel;
    @ConfigProperty(name = "hookline.serve.version")
    Optional<Long> version;
    @ConfigProperty(name = "hookline.serve.model-dir")
    Optional<String> modelDir;
    @ConfigProperty(name = "hookline.serve.bundle-dir")
    Optional<String> bundleDir;
    @ConfigProperty(name = "hookline.serve.cache-dir")
    Optional<String> cacheDir;
    @ConfigProperty(name = "hookline.serve.name")
    Optional<String> name;
    @ConfigProperty(name = "hookline.serve.address")
    Optional<String> address;
    @ConfigProperty(name = "hookline.serve.poll-ms", defaultValue = "1000")
    long pollMs;
    @ConfigProperty(name = "hookline.serve.heartbeat-ms", defaultValue = "5000")
    long heartbeatMs;
    @ConfigProperty(name = "hookline.serve.retry-ms", defaultValue = "2000")
    long retryMs;
    @ConfigProperty(name = "quarkus.http.port", defaultValue = "8090")
    int port;

    private ServingNode node;
    private ServingApi api;

    void onStart(@Observes StartupEvent event) {
        // One PyTorch thread unless told otherwise (shared machine; see edit-engine HooklineCli).
        setIfAbsent("ai.djl.pytorch.num_threads", System.getenv().getOrDefault("HOOKLINE_THREADS", "1"));
        setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
        setIfAbsent("ai.djl.offline", "true");
        ServeConfig config = new ServeConfig(registry.map(URI::create).orElse(null), token.orElse(null),
                model.orElse(null), channel.orElse(null), version.orElse(null), modelDir.map(Path::of).orElse(null),
                bundleDir.map(Path::of).orElse(null),
                Path.of(cacheDir.orElse(defaultCache())),
                name.orElse("node-" + host() + "-" + port), address.orElse("http://" + host() + ":" + port),
                Duration.ofMillis(pollMs), Duration.ofMillis(heartbeatMs), Duration.ofMillis(retryMs));
        // A token the registry refuses, or one without the SERVING role, can never work: exit non-zero.
        node = new ServingNode(config).onFatal(() -> Quarkus.asyncExit(3)).start();
        api = new ServingApi(node);
        LOG.infof("serving node %s started: %s", config.nodeName(), config.pinText());
    }

    void onStop(@Observes ShutdownEvent event) {
        if (node != null) {
            node.close();
        }
    }

    /** The node (for the readiness check). */
    public ServingNode node() {
        return node;
    }

    /** The API the resources delegate to. */
    public ServingApi api() {
        return api;
    }

    /** Beside the platform's data: $HOOKLINE_DATA/serving-cache, else ~/.hookline/serving-cache. */
    private static String defaultCache() {
        String data = System.getenv("HOOKLINE_DATA");
        return (data != null && !data.isBlank() ? data : System.getProperty("user.home") + "/.hookline") + "/serving-cache";
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9._-]", "-");
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
