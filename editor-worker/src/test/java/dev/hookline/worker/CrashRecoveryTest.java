/*
 * Issue 5, test 2: two worker processes; the one holding the job is killed with SIGKILL
 * (destroyForcibly) in the middle of the compute phase; after its 5 s lease expires the other
 * worker leases the job (attempt 2) and completes it. Exactly one version exists, every blob any
 * row references is in the object store with its size, and the GC command lists and removes the
 * unreferenced blobs (an upload left behind by a crashed attempt) while refusing referenced ones.
 */
package dev.hookline.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.BlobRef;
import dev.hookline.client.RegistryClient;
import dev.hookline.client.RegistryException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CrashRecoveryTest {
    @TempDir
    static Path tmp;

    static WorkerFixture fx;

    @BeforeAll
    static void registry() throws Exception {
        fx = new WorkerFixture(tmp.resolve("registry"));
    }

    @AfterAll
    static void stop() {
        if (fx != null) {
            fx.close();
        }
    }

    /** Starts a worker process: 5 s leases, 1 s heartbeats, its own cache, log in the temp dir. */
    static Process workerProcess(String name) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx1g");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("dev.hookline.worker.cli.WorkerCli");
        cmd.addAll(List.of("run", "--registry", fx.registry.url().toString(), "--token", fx.workerToken, "--name", name,
                "--cache", tmp.resolve("cache-" + name).toString(), "--lease-seconds", "5", "--heartbeat-seconds", "1",
                "--poll-seconds", "0.3", "--model", String.valueOf(fx.modelId), "--shutdown-grace-seconds", "5"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("worker-" + name + ".log").toFile());
        return pb.start();
    }

    @Test
    void killedHolderIsTakenOverAfterLeaseExpiryAndGcRemovesOrphans() throws Exception {
        // Enough work that the compute phase lasts several seconds: no early stop of the value step.
        JsonNode hyper = RegistryClient.json().createObjectNode().put("valueSteps", 300).put("stopLoss", 0.0);
        long batchId = fx.submit("crash", "coachhook", hyper, fx.cases.subList(20, 30)).path("id").asLong();

        Process a = workerProcess("A");
        Process b = null;
        try {
            JsonNode running = fx.awaitBatch(batchId, Duration.ofSeconds(240),
                    x -> "compute".equals(x.path("progress").path("phase").asText()), "compute phase under worker A");
            assertTrue(running.path("job").path("leasedBy").asText().contains("/A"), running.toString());
            assertEquals(1, running.path("job").path("attempt").asInt());
            Thread.sleep(500); // well inside the compute phase
            a.destroyForcibly();
            assertTrue(a.waitFor(30, TimeUnit.SECONDS));
            assertFalse(a.isAlive());
            assertEquals("RUNNING", fx.batch(batchId).path("status").asText(), "killed holder recorded nothing");

            long killedAt = System.nanoTime();
            b = workerProcess("B");
            JsonNode done = fx.awaitBatch(batchId, Duration.ofSeconds(300),
                    x -> x.path("status").asText().equals("COMPUTED") || x.path("status").asText().equals("FAILED"),
                    "computed by worker B");
            assertEquals("COMPUTED", done.path("status").asText(), done.toString());
            System.out.printf("taken over and completed %.1f s after the kill%n", (System.nanoTime() - killedAt) / 1e9);
            JsonNode job = fx.admin.get("/api/jobs/" + done.path("job").path("id").asLong());
            assertEquals(2, job.path("attempt").asInt(), job.toString());
            assertTrue(job.path("leasedBy").asText().contains("/B"), job.toString());

            // Graceful stop of B (SIGTERM): it is idle, so it exits at once with status 0... or 143 if the JVM reports the signal.
            b.destroy();
            assertTrue(b.waitFor(60, TimeUnit.SECONDS), "worker B stops on SIGTERM");
        } finally {
            a.destroyForcibly();
            if (b != null) {
                b.destroyForcibly();
            }
        }

        JsonNode versions = fx.versions();
        assertEquals(1, versions.size(), "exactly one version: " + versions);
        assertEquals(10, versions.get(0).path("editsCumulative").asInt());

        // No row points at a missing blob.
        List<JsonNode> entries = new ArrayList<>();
        for (JsonNode v : versions) {
            v.path("manifest").path("serving").forEach(entries::add);
            v.path("manifest").path("editing").forEach(entries::add);
        }
        JsonNode model = fx.admin.get("/api/models/" + fx.modelId);
        model.path("checkpoint").forEach(entries::add);
        model.path("stats").forEach(entries::add);
        assertEquals(3 + 3 + 3, entries.size());
        for (JsonNode e : entries) {
            assertEquals(e.path("size").asLong(), fx.admin.blobSize(e.path("key").asText()).orElse(-1L), e.toString());
        }

        // A blob an attempt uploaded but never completed with is unreferenced; GC lists and removes it.
        RegistryClient worker = new RegistryClient(fx.registry.url(), fx.workerToken);
        BlobRef orphan = worker.putBlob("upload of a crashed attempt".getBytes(StandardCharsets.UTF_8));
        BlobGc gc = new BlobGc(fx.admin);
        assertEquals(List.of(), gc.list(3600), "a young blob may belong to a job about to complete");
        List<BlobGc.Candidate> listed = gc.list(0);
        assertEquals(List.of(orphan.key()), listed.stream().map(BlobGc.Candidate::key).toList());
        BlobGc.Report report = gc.run(0, true);
        assertEquals(List.of(orphan.key()), report.removed());
        assertEquals(entries.size(), report.referenced());
        assertTrue(fx.admin.blobSize(orphan.key()).isEmpty(), "orphan removed from the store");
        assertEquals(List.of(), gc.list(0));
        String referenced = versions.get(0).path("manifest").path("serving").get(0).path("key").asText();
        RegistryException refused = assertThrows(RegistryException.class, () -> fx.admin.delete("/api/blobs/" + referenced));
        assertEquals(409, refused.status());
        assertTrue(fx.admin.blobSize(referenced).isPresent());
        assertEquals(0, new dev.hookline.worker.cli.WorkerCliAccess().gc(fx.registry.url().toString(), fx.registry.adminToken()));

        String logA = Files.readString(tmp.resolve("worker-A.log"));
        assertTrue(logA.contains("attempt=1 phase=start") && logA.contains("attempt=1 phase=pull seconds="),
                "structured log lines (job, attempt, phase) of worker A:\n" + logA);
        String logB = Files.readString(tmp.resolve("worker-B.log"));
        assertTrue(logB.contains("attempt=2 phase=done"), "worker B completed attempt 2:\n" + logB);
    }
}
