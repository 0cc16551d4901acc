/*
 * A worker whose registry cannot be reached says so: the first failed lease attempt is logged at
 * WARN within seconds, further failures at a bounded rate with their count, and the recovery at
 * INFO. Against a real registry (testkit RegistryProcess) that is stopped (its port is closed,
 * connections are refused) and restarted on the same port and data; the reports are read from the
 * worker's real log output (slf4j-simple writes to System.err, captured here).
 */
package dev.hookline.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.hookline.testkit.RegistryProcess;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class RegistryOutageTest {

    /** Copies System.err into a buffer while still printing it. */
    static final class ErrCapture implements AutoCloseable {
        private final PrintStream original = System.err;
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

        ErrCapture() {
            OutputStream tee = new OutputStream() {
                @Override
                public void write(int b) {
                    synchronized (buffer) {
                        buffer.write(b);
                    }
                    original.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    synchronized (buffer) {
                        buffer.write(b, off, len);
                    }
                    original.write(b, off, len);
                }
            };
            System.setErr(new PrintStream(tee, true, StandardCharsets.UTF_8));
        }

        List<String> lines(String containing) {
            String text;
            synchronized (buffer) {
                text = buffer.toString(StandardCharsets.UTF_8);
            }
            return text.lines().filter(l -> l.contains(containing)).toList();
        }

        /** Waits until a line satisfies {@code p}; answers it. */
        String await(String what, Duration timeout, String containing, Predicate<String> p) throws InterruptedException {
            long end = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < end) {
                for (String l : lines(containing)) {
                    if (p.test(l)) {
                        return l;
                    }
                }
                Thread.sleep(50);
            }
            fail(what + " not logged within " + timeout.toSeconds() + " s; lines: " + lines(containing));
            return null;
        }

        @Override
        public void close() {
            System.setErr(original);
        }
    }

    @Test
    void reportsTheFirstFailureAtOnceThenAtABoundedRateAndTheRecovery() {
        AtomicLong clock = new AtomicLong(0);
        WorkerMetrics metrics = new WorkerMetrics();
        RegistryOutage o;
        try (ErrCapture err = new ErrCapture()) {
            o = new RegistryOutage(LoggerFactory.getLogger(RegistryOutageTest.class), "w-unit", Duration.ofSeconds(60),
                    metrics, clock::get);
            o.success();
            assertTrue(o.status().reachable());
            assertEquals(0, err.lines("w-unit").size(), "nothing to report while the registry answers");

            o.failure("POST /api/jobs/lease: registry not reachable", Duration.ofSeconds(2));
            assertEquals(1, err.lines("w-unit").size(), "the first failure is reported at once");
            assertTrue(err.lines("WARN").stream().anyMatch(l -> l.contains("worker=w-unit event=registry-unreachable")
                    && l.contains("registry not reachable")), err.lines("w-unit").toString());
            // 29 more failures, one every 2 s: 58 s, still inside the 60 s report interval.
            for (int i = 1; i < 30; i++) {
                clock.addAndGet(2_000_000_000L);
                o.failure("error " + i, Duration.ofSeconds(2));
            }
            assertEquals(1, err.lines("w-unit").size(), "no further line within the interval");
            clock.addAndGet(2_000_000_000L);
            o.failure("error 30", Duration.ofSeconds(30));
            List<String> lines = err.lines("w-unit");
            assertEquals(2, lines.size(), lines.toString());
            assertTrue(lines.get(1).contains("WARN") && lines.get(1).contains("event=registry-still-unreachable failures=31 for=60.0 s")
                    && lines.get(1).contains("last-error=\"error 30\""), lines.get(1));
            RegistryOutage.Status s = o.status();
            assertFalse(s.reachable());
            assertEquals(31, s.failures());
            assertNotNull(s.downSince());
            assertTrue(metrics.scrape().contains("hookline_worker_registry_up 0"), metrics.scrape());
            assertTrue(metrics.scrape().contains("hookline_worker_registry_failures_total 31"), metrics.scrape());

            clock.addAndGet(5_000_000_000L);
            o.success();
            lines = err.lines("w-unit");
            assertEquals(3, lines.size(), lines.toString());
            assertTrue(lines.get(2).contains("INFO") && lines.get(2).contains("event=registry-reachable after failures=31 over 65.0 s"),
                    lines.get(2));
            o.success();
            assertEquals(3, err.lines("w-unit").size(), "recovery is reported once");
        }
        assertTrue(o.status().reachable());
        assertEquals(0, o.status().failures());
        assertEquals(31, o.status().totalFailures());
        assertTrue(metrics.scrape().contains("hookline_worker_registry_up 1"), metrics.scrape());
    }

    @Test
    void aWorkerWhoseRegistryIsDownWarnsWithinSecondsAndReportsTheRecovery(@TempDir Path tmp) throws Exception {
        RegistryProcess registry = RegistryProcess.start(tmp.resolve("registry"));
        try (ErrCapture err = new ErrCapture()) {
            String token = registry.createToken("worker", "WORKER");
            URI url = registry.url();
            registry.stop(); // the port is closed now: every connection is refused

            WorkerConfig config = WorkerConfig.builder(url, token).name("w-outage").cacheDir(tmp.resolve("cache"))
                    .poll(Duration.ofMillis(200)).outageReport(Duration.ofSeconds(2)).build();
            try (EditorWorker worker = EditorWorker.create(config)) {
                long t0 = System.nanoTime();
                worker.start();
                // The wait is a liveness bound for a loaded 2-core runner; the time to the first
                // warning (about 0.3 s idle: one 200 ms poll) is printed as a figure, not asserted.
                String first = err.await("the first failure", Duration.ofSeconds(60), "worker=w-outage",
                        l -> l.contains("WARN") && l.contains("event=registry-unreachable"));
                double seconds = (System.nanoTime() - t0) / 1e9;
                System.out.printf("first outage warning after %.2f s: %s%n", seconds, first);
                assertTrue(first.contains("registry not reachable at " + url), first);
                assertFalse(worker.registryStatus().reachable());

                String again = err.await("the repeated warning", Duration.ofSeconds(60), "worker=w-outage",
                        l -> l.contains("event=registry-still-unreachable"));
                assertTrue(again.matches(".*failures=\\d+ for=\\d+\\.\\d s.*"), again);
                long failures = worker.registryStatus().failures();
                assertTrue(failures >= 2, "failures " + failures);
                assertTrue(worker.metrics().scrape().contains("hookline_worker_registry_up 0"));
                double elapsed = (System.nanoTime() - t0) / 1e9;
                long warnings = err.lines("worker=w-outage").stream().filter(l -> l.contains("WARN")).count();
                assertTrue(warnings <= 1 + Math.ceil(elapsed / 2.0),
                        warnings + " warnings in " + elapsed + " s with a 2 s report interval");

                registry.restart(Map.of()); // same port, same data: the token is valid again
                String back = err.await("the recovery", Duration.ofSeconds(60), "worker=w-outage",
                        l -> l.contains("INFO") && l.contains("event=registry-reachable after failures="));
                System.out.println("recovered: " + back);
                assertTrue(worker.registryStatus().reachable());
                assertEquals(0, worker.registryStatus().failures());
                assertTrue(worker.registryStatus().totalFailures() >= failures);
                assertTrue(worker.metrics().scrape().contains("hookline_worker_registry_up 1"));
            }

            // A registry that answers but refuses the token is reported the same way, naming the status.
            WorkerConfig bad = WorkerConfig.builder(registry.url(), "not-a-token").name("w-badtoken")
                    .cacheDir(tmp.resolve("cache-bad")).poll(Duration.ofMillis(200)).build();
            try (EditorWorker worker = EditorWorker.create(bad)) {
                worker.start();
                String refused = err.await("the refused token", Duration.ofSeconds(60), "worker=w-badtoken",
                        l -> l.contains("WARN") && l.contains("event=registry-unreachable"));
                assertTrue(refused.contains("401"), refused);
            }
        } finally {
            registry.close();
        }
    }
}
