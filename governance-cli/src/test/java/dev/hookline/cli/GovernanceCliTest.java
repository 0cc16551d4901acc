/*
 * The governance CLI against the real registry (testkit's RegistryProcess: the packaged Quarkus
 * app with embedded PostgreSQL and S3Proxy). The editor worker's part is played over the same API
 * a worker uses (lease, upload blobs, heartbeat, complete), so versions exist without PyTorch.
 */
package dev.hookline.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.client.BlobRef;
import dev.hookline.client.RegistryClient;
import dev.hookline.testkit.RegistryProcess;
import dev.hookline.world.FactWorld;
import dev.hookline.world.WorldPreset;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GovernanceCliTest {
    @TempDir
    static Path tmp;

    static RegistryProcess registry;
    static RegistryClient admin;
    static Path world;
    static String adminToken;
    static String alice;
    static String bob;
    static String carol;
    static String workerToken;
    static long modelId;

    /** One CLI run's outcome. */
    record Run(int code, String out, String err) {
        JsonNode json() {
            try {
                return RegistryClient.json().readTree(out);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + out + " / " + err, e);
            }
        }
    }

    @BeforeAll
    static void start() throws Exception {
        registry = RegistryProcess.start(tmp.resolve("registry"));
        admin = registry.admin();
        adminToken = registry.adminToken();
        world = tmp.resolve("world");
        FactWorld.generate(WorldPreset.named("tiny")).writeTo(world);
        // A checkpoint the registry stores as blobs (it checks presence and size, never the tensors).
        Path model = Files.createDirectories(tmp.resolve("model"));
        Files.writeString(model.resolve("config.json"), "{\"n_layer\": 3, \"n_embd\": 96}");
        Files.write(model.resolve("model.safetensors"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        Files.writeString(model.resolve("tokenizer.json"), "{\"version\": \"1.0\"}");
        JsonNode m = dev.hookline.testkit.ModelUpload.register(admin, "cli-world", model);
        modelId = m.path("id").asLong();
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    static Run cli(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Map<String, String> e = new HashMap<>(env);
        e.putIfAbsent("HOOKLINE_CONFIG", tmp.resolve("no-login.json").toString());
        int code = GovernanceCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), e);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A run as {@code token} against the test registry. */
    static Run as(String token, String... args) {
        return cli(Map.of("HOOKLINE_REGISTRY", registry.url().toString(), "HOOKLINE_TOKEN", token), args);
    }

    static synchronized void people() {
        if (alice != null) {
            return;
        }
        Run a = as(adminToken, "token", "create", "alice", "--role", "SUBMITTER");
        assertEquals(0, a.code(), a.err());
        alice = a.out().strip();
        assertTrue(alice.length() > 20 && !alice.contains(" "), "only the token on stdout: " + a.out());
        bob = as(adminToken, "token", "create", "bob", "--role", "reviewer").out().strip();
        carol = as(adminToken, "token", "create", "carol", "-r", "RELEASER,REVIEWER").out().strip();
        workerToken = as(adminToken, "token", "create", "w", "--role", "WORKER").out().strip();
        assertEquals("bob REVIEWER", as(bob, "whoami").out().strip().replaceAll(" @ .*", ""));
    }

    /** Computes the next leasable job the way an editor worker completes it; answers the new version. */
    static JsonNode computeNext(double reliability) {
        RegistryClient w = new RegistryClient(registry.url(), workerToken);
        JsonNode lease = w.lease("cli-test", modelId, 60).orElseThrow();
        long job = lease.path("job").path("id").asLong();
        String leaseToken = lease.path("leaseToken").asText();
        w.heartbeat(job, leaseToken, "compute", 50);
        BlobRef manifest = w.putBlob(("{\"batch\": " + lease.path("job").path("batchId").asLong() + "}")
                .getBytes(StandardCharsets.UTF_8));
        BlobRef serving = w.putBlob(new byte[] {9, 8, 7, (byte) job});
        ObjectNode body = RegistryClient.json().createObjectNode().put("leaseToken", leaseToken);
        ObjectNode man = body.putObject("manifest");
        man.putArray("serving").addObject().put("role", "manifest.json").put("key", manifest.key()).put("size",
                manifest.size());
        man.withArray("serving").addObject().put("role", "serving.safetensors").put("key", serving.key())
                .put("size", serving.size());
        man.putArray("editing");
        body.putArray("alpha").addObject().put("layer", 2).put("before", 0.65).put("after", 0.65);
        ObjectNode metrics = body.putObject("metrics");
        metrics.put("reliability", reliability).put("generality", 0.9).put("locality", 0.95);
        metrics.putArray("layers").addObject().put("layer", 2).put("deltaNorm", 1.5);
        return w.complete(job, body);
    }

    @Test
    void usageErrorsExitTwoAndHelpListsDefaults() {
        Run none = cli(Map.of());
        assertEquals(2, none.code(), none.err());
        Run missing = as("x", "batch", "submit");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("--file"), missing.err());
        Run badId = as("x", "batch", "show", "twelve");
        assertEquals(2, badId.code());
        assertTrue(badId.err().contains("positive integer"), badId.err());
        Run help = cli(Map.of(), "batch", "watch", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("Default: 1800"), help.out());
        assertTrue(help.out().contains("--interval"), help.out());
        Run submitHelp = cli(Map.of(), "batch", "submit", "--help");
        assertTrue(submitHelp.out().contains("coachhook-span-relation"), submitHelp.out());
        assertTrue(submitHelp.out().contains("codebook-subject"), submitHelp.out());
        Run noToken = cli(Map.of("HOOKLINE_REGISTRY", registry.url().toString()), "node", "list");
        assertEquals(2, noToken.code());
        assertTrue(noToken.err().contains("hookline login"), noToken.err());
    }

    @Test
    void loginSavesUrlAndTokenAndFlagsWin() throws Exception {
        people();
        Path config = tmp.resolve("cfg/cli.json");
        Map<String, String> env = Map.of("HOOKLINE_CONFIG", config.toString());
        Run bad = cli(env, "login", "--registry", registry.url().toString(), "--token", "hl_not_a_token");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("401"), bad.err());
        assertFalse(Files.exists(config), "nothing saved for a refused token");
        Run login = cli(env, "login", "--registry", registry.url().toString(), "--token", bob);
        assertEquals(0, login.code(), login.err());
        assertTrue(login.err().contains("as bob"), login.err());
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(config)));
        assertTrue(cli(env, "whoami").out().startsWith("bob REVIEWER"));
        Map<String, String> envToken = new HashMap<>(env);
        envToken.put("HOOKLINE_TOKEN", carol);
        assertTrue(cli(envToken, "whoami").out().startsWith("carol"), "the environment beats the config file");
        assertTrue(cli(envToken, "whoami", "--token", alice).out().startsWith("alice"), "a flag beats the environment");
        Run down = cli(env, "whoami", "--registry", "http://127.0.0.1:" + RegistryProcess.freePort());
        assertEquals(1, down.code());
        assertTrue(down.err().contains("not reachable"), down.err());
    }

    @Test
    void governanceFlowFromSubmitToRollback() throws Exception {
        people();
        // Submit CounterFact cases directly, no method: the registry's recommended default applies.
        Run submit = as(alice, "batch", "submit", "--model", "cli-world", "--file",
                world.resolve("counterfact.json").toString(), "--count", "3", "--branch", "cli");
        assertEquals(0, submit.code(), submit.err());
        long b1 = Long.parseLong(submit.out().strip());
        JsonNode batch1 = as(alice, "batch", "show", String.valueOf(b1), "--json").json();
        assertEquals(3, batch1.path("edits").size());
        assertEquals("codebook-subject", batch1.path("method").asText());
        assertTrue(batch1.path("edits").get(0).path("relation").asText().startsWith("P"));
        assertTrue(batch1.path("edits").get(0).path("locality").size() > 0);
        assertTrue(batch1.path("edits").get(0).path("paraphrases").size() > 0);

        // A version reference to a batch without a version says so.
        Run early = as(bob, "version", "show", "b" + b1);
        assertEquals(1, early.code());
        assertTrue(early.err().contains("has no version yet"), early.err());

        // watch follows the batch until the (simulated) worker completes it.
        AtomicReference<Run> watched = new AtomicReference<>();
        Thread watcher = new Thread(() -> watched.set(as(alice, "batch", "watch", String.valueOf(b1), "--interval", "0.2")));
        watcher.start();
        JsonNode v1 = computeNext(1.0);
        watcher.join(60_000);
        Run watch = watched.get();
        assertEquals(0, watch.code(), watch.err());
        assertTrue(watch.out().contains("version " + v1.path("id").asText()), watch.out());
        assertTrue(watch.out().contains("reliability 1.000"), watch.out());
        assertEquals(3 + 1, watch.out().lines().filter(l -> l.contains(" -> ")).count(),
                "three facts and the alpha line: " + watch.out());
        assertTrue(watch.err().contains("%"), "a progress bar: " + watch.err());

        // Four eyes: the submitter cannot validate; the reviewer can, addressing the batch.
        Run own = as(alice, "version", "validate", "b" + b1, "-m", "mine");
        assertEquals(1, own.code());
        Run self = as(carol, "version", "validate", "b" + b1);
        assertEquals(2, self.code(), "a comment is required");
        Run ok = as(bob, "version", "validate", "b" + b1, "-m", "checked the facts");
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.err().contains("VALIDATED"), ok.err());
        // A second decision of the same kind is a conflict (a recall, rejecting a VALIDATED
        // version, is allowed: it blocks the descendants; not exercised here).
        Run again = as(bob, "version", "validate", "b" + b1, "-m", "twice");
        assertEquals(1, again.code());
        assertTrue(again.err().contains("HTTP 409"), again.err());

        // Release: only a releaser may pin.
        Run wrongRole = as(alice, "channel", "pin", "prod", "b" + b1, "--model", "cli-world");
        assertEquals(1, wrongRole.code());
        assertTrue(wrongRole.err().contains("HTTP 403"), wrongRole.err());
        assertEquals(0, as(carol, "channel", "pin", "prod", "b" + b1, "--model", "cli-world").code());

        // A second batch from zsRE records, validated and pinned; then rolled back.
        // Another method cannot continue the branch's codebook: the registry's 409, exit 1, nothing submitted.
        Run switched = as(alice, "batch", "submit", "--file", world.resolve("zsre.json").toString(), "--count", "2",
                "--skip", "5", "--branch", "cli", "--method", "coachhook", "--reason", "zsre facts", "--model",
                String.valueOf(modelId));
        assertEquals(1, switched.code(), switched.err());
        assertTrue(switched.err().contains("HTTP 409") && switched.err().contains("coachhook cannot continue it"),
                switched.err());
        Run submit2 = as(alice, "batch", "submit", "--file", world.resolve("zsre.json").toString(), "--count", "2",
                "--skip", "5", "--branch", "cli", "--method", "codebook-subject", "--reason", "zsre facts", "--model",
                String.valueOf(modelId));
        assertEquals(0, submit2.code(), submit2.err());
        long b2 = Long.parseLong(submit2.out().strip());
        JsonNode v2 = computeNext(0.5);
        assertEquals(v1.path("id").asLong(), v2.path("parentVersionId").asLong());
        Run shown = as(alice, "version", "show", "b" + b2, "--json");
        assertEquals("codebook-subject", shown.json().path("method").asText());
        assertEquals(0, as(carol, "version", "validate", "b" + b2, "-m", "ok").code());
        assertEquals(0, as(carol, "channel", "pin", "prod", "b" + b2, "--model", "cli-world").code());

        Run diff = as(bob, "version", "diff", "b" + b1, "b" + b2, "--json");
        assertEquals(0, diff.code(), diff.err());
        assertEquals(2, diff.json().path("added").size());
        assertEquals(0, diff.json().path("removed").size());
        assertEquals(v1.path("id").asLong(), diff.json().path("commonAncestor").asLong());
        JsonNode fromBase = as(bob, "version", "diff", "0", "v" + v2.path("id").asText(), "--json").json();
        assertEquals(5, fromBase.path("added").size());
        assertTrue(as(bob, "version", "diff", "0", "b" + b2).out().contains("reliability"));

        Run rollback = as(carol, "channel", "rollback", "prod", "--model", "cli-world");
        assertEquals(0, rollback.code(), rollback.err());
        JsonNode history = as(bob, "channel", "history", "prod", "--model", "cli-world", "--json").json();
        assertEquals(v1.path("id").asLong(), history.path("versionId").asLong());
        assertEquals(List.of("ROLLBACK", "PIN", "PIN"), history.path("history").findValuesAsText("kind"));
        assertTrue(as(bob, "channel", "history", "prod", "--model", "cli-world").out().contains("ROLLBACK"));
        assertEquals(1, as(bob, "channel", "list", "--model", "cli-world", "--json").json().size());
        Run noChannel = as(carol, "channel", "rollback", "canary", "--model", "cli-world");
        assertEquals(1, noChannel.code());
        assertTrue(noChannel.err().contains("no channel canary"), noChannel.err());

        // Nodes: a serving node reports what it runs.
        String serving = as(adminToken, "token", "create", "node-a", "--role", "SERVING").out().strip();
        RegistryClient node = new RegistryClient(registry.url(), serving);
        long nodeId = node.registerNode("node-a", modelId, "prod", "http://127.0.0.1:1").path("id").asLong();
        node.nodeHeartbeat(nodeId, v1.path("id").asLong(), v1.path("bundleDigest").asText(), "SERVING", null);
        JsonNode nodes = as(bob, "node", "list", "--model", "cli-world", "--json").json();
        assertEquals(1, nodes.size());
        assertEquals(v1.path("id").asLong(), nodes.get(0).path("loadedVersionId").asLong());
        assertTrue(as(bob, "node", "list").out().contains("node-a"));

        // Audit: the chain verifies; a submitter may not read it.
        Run audit = as(carol, "audit", "verify");
        assertEquals(0, audit.code(), audit.err());
        assertTrue(audit.out().startsWith("audit chain ok"), audit.out());
        assertTrue(as(carol, "audit", "verify", "--json").json().path("ok").asBoolean());
        assertEquals(1, as(alice, "audit", "verify").code());
        assertTrue(as(bob, "version", "list", "--model", "cli-world").out().contains("VALIDATED"));
        assertTrue(as(bob, "batch", "list").out().contains("cli"));
    }

    @Test
    void badInputIsRefusedWithNothingSubmitted() throws Exception {
        people();
        int before = admin.get("/api/batches?limit=1000").size();
        Path notJson = Files.writeString(tmp.resolve("bad.json"), "{not json");
        Run r1 = as(alice, "batch", "submit", "--model", "cli-world", "--file", notJson.toString());
        assertEquals(2, r1.code());
        assertTrue(r1.err().contains("not JSON"), r1.err());
        Path broken = Files.writeString(tmp.resolve("cf.json"), "[{\"case_id\": 1, \"requested_rewrite\": {}}]");
        Run r2 = as(alice, "batch", "submit", "--model", "cli-world", "--file", broken.toString());
        assertEquals(2, r2.code());
        assertTrue(r2.err().contains("requested_rewrite"), r2.err());
        Path noBrace = Files.writeString(tmp.resolve("edits.json"),
                "[{\"subject\": \"X\", \"prompt\": \"no placeholder\", \"targetNew\": \"Y\"}]");
        Run r3 = as(alice, "batch", "submit", "--model", "cli-world", "--file", noBrace.toString());
        assertEquals(1, r3.code(), "the registry's 400");
        assertTrue(r3.err().contains("edits[0].prompt"), r3.err());
        Run r4 = as(alice, "batch", "submit", "--model", "nope", "--file", world.resolve("zsre.json").toString());
        assertEquals(1, r4.code());
        assertTrue(r4.err().contains("no model named 'nope'"), r4.err());
        Run r5 = as(alice, "batch", "submit", "--model", "cli-world", "--file", world.resolve("zsre.json").toString(),
                "--method", "rome");
        assertEquals(1, r5.code());
        assertTrue(r5.err().contains("method"), r5.err());
        assertEquals(1, as(bob, "version", "show", "99999").code());
        assertEquals(before, admin.get("/api/batches?limit=1000").size(), "nothing was submitted");
    }

    @Test
    void modelDefaultsAreShownSetRefusedAndCleared() throws Exception {
        people();
        Run none = as(alice, "model", "defaults", "cli-world");
        assertEquals(0, none.code(), none.err());
        assertTrue(none.err().contains("no edit defaults"), none.err());
        Run set = as(adminToken, "model", "defaults", "cli-world", "codebook-nearest", "alpha0=0.25", "scopeLambda=20");
        assertEquals(0, set.code(), set.err());
        assertTrue(set.out().contains("alpha0") && set.out().contains("0.25"), set.out());
        JsonNode shown = RegistryClient.json().readTree(as(alice, "model", "defaults", "cli-world", "codebook-nearest",
                "--json").out());
        assertEquals(0.25, shown.path("alpha0").asDouble(), 0, shown.toString());
        assertEquals(20, shown.path("scopeLambda").asInt(), shown.toString());
        Run notNumber = as(adminToken, "model", "defaults", "cli-world", "codebook-nearest", "alpha0=abc");
        assertEquals(2, notNumber.code());
        assertTrue(notNumber.err().contains("must be a number"), notNumber.err());
        Run both = as(adminToken, "model", "defaults", "cli-world", "codebook-nearest", "alpha0=0.2", "--clear");
        assertEquals(2, both.code());
        Run refused = as(adminToken, "model", "defaults", "cli-world", "codebook-nearest", "statsLines=4096");
        assertEquals(1, refused.code(), "the registry's 400");
        assertTrue(refused.err().contains("statsLines"), refused.err());
        Run twoLayers = as(adminToken, "model", "defaults", "cli-world", "codebook-subject", "layers=0,1");
        assertEquals(1, twoLayers.code(), "the registry's 400: codebook-subject edits one layer, as codebook-nearest");
        assertTrue(twoLayers.err().contains("codebook-subject edits exactly one"), twoLayers.err());
        Run wrongRole = as(alice, "model", "defaults", "cli-world", "codebook-nearest", "alpha0=0.3");
        assertEquals(1, wrongRole.code(), wrongRole.err());
        assertEquals(0.25, admin.get("/api/models/" + modelId).path("editDefaults").path("codebook-nearest")
                .path("alpha0").asDouble(), 0, "refusals changed nothing");
        Run clear = as(adminToken, "model", "defaults", "cli-world", "codebook-nearest", "--clear");
        assertEquals(0, clear.code(), clear.err());
        assertTrue(admin.get("/api/models/" + modelId).path("editDefaults").isEmpty());
    }
}
