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
import org.junit.jupiter.api.Test;

class CrashRecoveryTest extends RegistryBackedTest {
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
        JsonNode hyper = RegistryClient.json().createObjectNode().put("valueSteps", 150).put("stopLoss", 0.0);
        long batchId = fx.submit("crash", "coachhook", hyper, fx.cases.subList(20, 25)).path("id").asLong();

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

        List<JsonNode> versions = new ArrayList<>();
        for (JsonNode v : fx.versions()) {
            if (v.path("batchId").asLong() == batchId) {
                versions.add(v);
            }
        }
        assertEquals(1, versions.size(), "exactly one version of the batch: " + versions);
        assertEquals(5, versions.get(0).path("editsCumulative").asInt());

        // No row points at a missing blob (every version of the model, the checkpoint, the statistics).
        List<JsonNode> entries = new ArrayList<>();
        for (JsonNode v : fx.versions()) {
            v.path("manifest").path("serving").forEach(entries::add);
            v.path("manifest").path("editing").forEach(entries::add);
        }
        JsonNode model = fx.admin.get("/api/models/" + fx.modelId);
        model.path("checkpoint").forEach(entries::add);
        model.path("stats").forEach(entries::add);
        assertTrue(entries.size() >= 3 + 3 + 3, entries.toString());
        java.util.Set<String> referencedKeys = new java.util.HashSet<>();
        for (JsonNode e : entries) {
            assertEquals(e.path("size").asLong(), fx.admin.blobSize(e.path("key").asText()).orElse(-1L), e.toString());
            referencedKeys.add(e.path("key").asText());
        }

        // A blob an attempt uploaded but never completed with is unreferenced; GC lists and removes it.
        RegistryClient worker = new RegistryClient(fx.registry.url(), fx.workerToken);
        BlobRef orphan = worker.putBlob("upload of a crashed attempt".getBytes(StandardCharsets.UTF_8));
        BlobGc gc = new BlobGc(fx.admin);
        assertEquals(List.of(), gc.list(3600), "a young blob may belong to a job about to complete");
        // The store's last-modified times have whole seconds, so GC counts a blob as up to one
        // second younger than it is: wait that out before asking for blobs of any age.
        Thread.sleep(2_100);
        List<BlobGc.Candidate> listed = gc.list(0);
        assertEquals(List.of(orphan.key()), listed.stream().map(BlobGc.Candidate::key).toList());
        BlobGc.Report report = gc.run(0, true);
        assertEquals(List.of(orphan.key()), report.removed());
        assertEquals(referencedKeys.size(), report.referenced());
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

    /**
     * Two worker processes, two branches of two batches each: the first batches of both branches
     * run at the same time (one per worker), and on each branch the second batch is leased only
     * after the first one's version exists, and extends it.
     */
    @Test
    void differentBranchesRunInParallelAndOneBranchInOrder() throws Exception {
        JsonNode slow = RegistryClient.json().createObjectNode().put("valueSteps", 150).put("stopLoss", 0.0);
        long x1 = fx.submit("par-x", "coachhook", slow, fx.cases.subList(100, 103)).path("id").asLong();
        long y1 = fx.submit("par-y", "coachhook", slow, fx.cases.subList(103, 106)).path("id").asLong();
        long x2 = fx.submit("par-x", "coachhook", null, fx.cases.subList(106, 108)).path("id").asLong();
        long y2 = fx.submit("par-y", "coachhook", null, fx.cases.subList(108, 110)).path("id").asLong();
        Process p = workerProcess("P");
        Process q = workerProcess("Q");
        try {
            boolean overlapped = false;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
            while (!overlapped && System.nanoTime() < end) {
                JsonNode bx = fx.batch(x1);
                JsonNode by = fx.batch(y1);
                overlapped = bx.path("status").asText().equals("RUNNING") && by.path("status").asText().equals("RUNNING")
                        && "compute".equals(bx.path("progress").path("phase").asText())
                        && "compute".equals(by.path("progress").path("phase").asText());
                Thread.sleep(200);
            }
            assertTrue(overlapped, "the first batches of both branches were computed at the same time");
            for (long id : new long[] {x2, y2}) {
                fx.awaitBatch(id, Duration.ofSeconds(300), b -> !b.path("status").asText().matches("QUEUED|RUNNING"),
                        "computed");
            }
        } finally {
            p.destroyForcibly();
            q.destroyForcibly();
        }
        String holderX1 = fx.batch(x1).path("job").path("leasedBy").asText();
        String holderY1 = fx.batch(y1).path("job").path("leasedBy").asText();
        assertTrue(holderX1.contains("/P ") && holderY1.contains("/Q ") || holderX1.contains("/Q ") && holderY1.contains("/P "),
                "one first batch per worker: " + holderX1 + " / " + holderY1);
        for (long[] pair : new long[][] {{x1, x2}, {y1, y2}}) {
            JsonNode first = fx.batch(pair[0]);
            JsonNode second = fx.batch(pair[1]);
            assertEquals("COMPUTED", first.path("status").asText());
            assertEquals("COMPUTED", second.path("status").asText());
            JsonNode v1 = fx.admin.get("/api/versions/" + first.path("resultVersionId").asLong());
            JsonNode v2 = fx.admin.get("/api/versions/" + second.path("resultVersionId").asLong());
            assertEquals(v1.path("id").asLong(), v2.path("parentVersionId").asLong(), "second extends first");
            JsonNode job2 = fx.admin.get("/api/jobs/" + second.path("job").path("id").asLong());
            assertTrue(java.time.Instant.parse(job2.path("leasedAt").asText())
                    .isAfter(java.time.Instant.parse(v1.path("createdAt").asText())),
                    "second batch leased after the first version was recorded: " + job2 + " vs " + v1.path("createdAt"));
            assertEquals(1, job2.path("attempt").asInt());
        }
    }
}
