/*
 * Lifecycle shared by the worker tests that need a real registry: one WorkerFixture (registry child
 * process with the tiny model onboarded) per test class, under a per-class temporary directory.
 */
package dev.hookline.worker;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** Base of the registry-backed worker tests: {@link #fx} is ready in every test, {@link #tmp} is private to the class. */
abstract class RegistryBackedTest {
    @TempDir
    static Path tmp;

    static WorkerFixture fx;

    @BeforeAll
    static void startRegistry() throws Exception {
        fx = new WorkerFixture(tmp.resolve("registry"));
    }

    @AfterAll
    static void stopRegistry() {
        if (fx != null) {
            fx.close();
            fx = null;
        }
    }
}
