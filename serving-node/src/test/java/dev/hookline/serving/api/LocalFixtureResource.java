/*
 * Quarkus test resource: builds the tiny-model fixture (TestBundles) in a child JVM before the
 * application boots (PyTorch's native library binds to one class loader, and the app's is
 * Quarkus's), then points the node at it in local mode (model + bundle B, no registry).
 */
package dev.hookline.serving.api;

import dev.hookline.engine.train.PretrainedModels;
import dev.hookline.serving.TestBundles;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Fixture + config for {@link ServingHttpTest}. */
public class LocalFixtureResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        Path dir = TestBundles.dir();
        if (!TestBundles.upToDate()) {
            String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1"));
            String cache = System.getProperty(PretrainedModels.CACHE_PROPERTY); // else the child reads the same env / default
            if (cache != null) {
                cmd.add("-D" + PretrainedModels.CACHE_PROPERTY + "=" + cache);
            }
            cmd.addAll(List.of("-cp", cp, TestBundles.class.getName()));
            try {
                Files.createDirectories(dir.getParent());
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectOutput(dir.getParent().resolve("tiny-bundles.log").toFile()).start();
                if (p.waitFor() != 0) {
                    throw new IllegalStateException("building the test fixture failed; see "
                            + dir.getParent().resolve("tiny-bundles.log"));
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot start the fixture builder", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return Map.of("hookline.serve.model-dir", dir.resolve("model").toString(),
                "hookline.serve.bundle-dir", dir.resolve("bundle-b").toString(),
                "hookline.serve.cache-dir", dir.getParent().resolve("http-cache").toString());
    }

    @Override
    public void stop() {
        // The fixture stays cached for the next run.
    }
}
