/*
 * How a serving node gets going against the real registry (testkit RegistryProcess): a token that
 * can never serve stops it with one clear message (the runtime then exits non-zero), and a model
 * that does not exist yet is waited for with backoff and found once it is registered.
 */
package dev.hookline.serving.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hookline.testkit.ModelUpload;
import dev.hookline.testkit.RegistryProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeStartupTest {
    @TempDir
    static Path tmp;

    static RegistryProcess registry;

    @BeforeAll
    static void start() {
        registry = RegistryProcess.start(tmp.resolve("registry"));
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    private static ServeConfig config(String token, String model) {
        return new ServeConfig(registry.url(), token, model, "prod", null, null, null, tmp.resolve("cache"), "startup-node",
                "http://127.0.0.1:0", Duration.ofMillis(200), Duration.ofSeconds(2), Duration.ofMillis(500));
    }

    @Test
    void aTokenWithoutTheServingRoleStopsTheNodeWithOneClearMessage() throws Exception {
        String submitter = registry.createToken("sub", "SUBMITTER");
        CountDownLatch fatal = new CountDownLatch(1);
        try (ServingNode node = new ServingNode(config(submitter, "any")).onFatal(fatal::countDown).start()) {
            assertTrue(fatal.await(30, TimeUnit.SECONDS), "the node gave up");
            assertEquals(ServingNode.Status.FAILED, node.state().status());
            assertTrue(node.state().message().contains("'sub' has roles [\"SUBMITTER\"]"), node.state().message());
            assertTrue(node.state().message().contains("--role SERVING"), node.state().message());
        }
        CountDownLatch refused = new CountDownLatch(1);
        try (ServingNode node = new ServingNode(config("hl_not_a_token", "any")).onFatal(refused::countDown).start()) {
            assertTrue(refused.await(30, TimeUnit.SECONDS), "an unknown token stops the node too");
            assertTrue(node.state().message().contains("401"), node.state().message());
        }
    }

    @Test
    void aModelRegisteredLaterIsFoundAfterBackoff() throws Exception {
        String serving = registry.createToken("node", "SERVING");
        CountDownLatch fatal = new CountDownLatch(1);
        try (ServingNode node = new ServingNode(config(serving, "later-model")).onFatal(fatal::countDown).start()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (node.state().message() == null && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(ServingNode.Status.FAILED, node.state().status());
            assertTrue(node.state().message().contains("no model named 'later-model'"), node.state().message());
            Thread.sleep(3000); // a few backoff rounds
            Path model = Files.createDirectories(tmp.resolve("model"));
            Files.writeString(model.resolve("config.json"), "{\"n_layer\": 1}");
            Files.write(model.resolve("model.safetensors"), new byte[] {1, 2, 3});
            Files.writeString(model.resolve("tokenizer.json"), "{}");
            ModelUpload.register(registry.admin(), "later-model", model);
            // Found within the longest backoff (10 s) plus slack: then the missing channel is the problem.
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
            while (!String.valueOf(node.state().message()).contains("cannot resolve") && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertTrue(String.valueOf(node.state().message()).contains("cannot resolve"), node.state().message());
            assertEquals(1, fatal.getCount(), "a missing model is waited for, never fatal");
        }
    }
}
