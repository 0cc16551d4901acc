/*
 * CLI behaviour: usage errors exit non-zero with a clear message, commands write their outputs.
 */
package dev.hookline.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HooklineCliTest {

    private static CliRun run(String... args) {
        return CliRun.run(args);
    }

    @Test
    void badArgumentsGiveAClearMessageAndNonZeroExit(@TempDir Path tmp) {
        CliRun unknownPreset = run("world", "--preset", "huge", "--out", tmp.toString());
        assertEquals(2, unknownPreset.code());
        assertTrue(unknownPreset.err().contains("invalid value 'huge' for --preset; valid: tiny, demo"), unknownPreset.err());

        CliRun missing = run("pretrain", "--world", "tiny");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("Missing required option: '--out=<out>'"), missing.err());

        CliRun badEpochs = run("pretrain", "--world", "tiny", "--out", tmp.resolve("m").toString(), "--epochs", "0");
        assertEquals(2, badEpochs.code());
        assertTrue(badEpochs.err().contains("--epochs must be >= 1"), badEpochs.err());
        assertFalse(Files.exists(tmp.resolve("m")), "nothing written on a usage error");

        CliRun wrongWorld = run("pretrain", "--world", "tiny", "--preset", "demo-wide", "--out", tmp.resolve("w").toString());
        assertEquals(2, wrongWorld.code());
        assertTrue(wrongWorld.err().contains("--preset demo-wide is trained on the demo world, not tiny"), wrongWorld.err());
        CliRun badWidth = run("pretrain", "--world", "tiny", "--mlp-size", "0", "--out", tmp.resolve("w").toString());
        assertEquals(2, badWidth.code());
        assertTrue(badWidth.err().contains("--mlp-size must be >= 1"), badWidth.err());
        assertFalse(Files.exists(tmp.resolve("w")), "nothing written on a usage error");

        CliRun noModel = run("generate", "--model", tmp.toString(), "--prompt", "hi");
        assertEquals(2, noModel.code());
        assertTrue(noModel.err().contains("is not a checkpoint directory (no config.json)"), noModel.err());

        CliRun noCommand = run();
        assertEquals(2, noCommand.code());
        assertTrue(noCommand.err().contains("missing command"), noCommand.err());
    }

    @Test
    void pretrainContinuesACheckpointAndRefusesAMismatch(@TempDir Path tmp) throws Exception {
        Path source = dev.hookline.engine.edit.EditFixtures.pretrainedTiny();
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.JsonNode before = json.readTree(source.resolve("pretrain-report.json").toFile());

        Path wider = tmp.resolve("wider");
        CliRun mismatch = run("pretrain", "--world", "tiny", "--mlp-size", "96", "--epochs", "1",
                "--init-from", source.toString(), "--out", wider.toString());
        assertEquals(2, mismatch.code(), mismatch.err());
        assertTrue(mismatch.err().contains("has config") && mismatch.err().contains("but this world and preset build"),
                mismatch.err());
        assertFalse(Files.exists(wider), "a refused continuation leaves no directory behind");
        CliRun same = run("pretrain", "--world", "tiny", "--init-from", source.toString(), "--out", source.toString());
        assertEquals(2, same.code());
        assertTrue(same.err().contains("are the same directory"), same.err());
        CliRun notCheckpoint = run("pretrain", "--world", "tiny", "--init-from", tmp.toString(),
                "--out", tmp.resolve("x").toString());
        assertEquals(2, notCheckpoint.code());
        assertTrue(notCheckpoint.err().contains("is not a checkpoint directory"), notCheckpoint.err());

        Path continued = tmp.resolve("continued");
        CliRun ok = run("pretrain", "--world", "tiny", "--epochs", "1", "--init-from", source.toString(),
                "--out", continued.toString());
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().contains("continued from"), ok.out());
        com.fasterxml.jackson.databind.JsonNode after = json.readTree(continued.resolve("pretrain-report.json").toFile());
        assertEquals(before.get("epochs").asInt(), after.get("priorEpochs").asInt());
        assertEquals(source.toAbsolutePath().normalize().toString(), after.get("initFrom").asText());
        // Trained weights, not a fresh start: the one epoch begins near where the source ended.
        double freshFirst = before.get("firstEpochLoss").asDouble();
        double continuedFirst = after.get("firstEpochLoss").asDouble();
        assertTrue(continuedFirst < 0.5 * freshFirst, "continued first-epoch loss " + continuedFirst
                + " vs a fresh run's " + freshFirst);
        assertTrue(after.get("canonicalAccuracy").asDouble() >= 0.9, after.toString());
        assertTrue(before.path("initFrom").isNull() || before.path("initFrom").isMissingNode(), "the source was a fresh run");
    }

    @Test
    void continuedSpanBundleKeepsOrSetsItsThreshold(@TempDir Path tmp) throws Exception {
        Path model = dev.hookline.engine.edit.EditFixtures.pretrainedTiny();
        String data = model.resolve("world").resolve("counterfact.json").toString();
        Path v1 = tmp.resolve("v1");
        CliRun first = run("edit", "--model", model.toString(), "--data", data, "--edits", "4", "--batch", "2",
                "--method", "coachhook-span", "--span-alpha", "0.3", "--out", v1.toString());
        assertEquals(0, first.code(), first.err());
        dev.hookline.engine.bundle.HookBundle b1 = dev.hookline.engine.bundle.HookBundle.read(v1);
        assertTrue(b1.alpha().values().stream().allMatch(a -> a == 0.3), b1.alpha().toString());

        // Without --span-alpha the continued version keeps the parent's threshold (not the record's default) ...
        Path kept = tmp.resolve("kept");
        CliRun keep = run("edit", "--model", model.toString(), "--bundle", v1.toString(), "--data", data, "--edits", "2",
                "--batch", "2", "--method", "coachhook-span", "--out", kept.toString());
        assertEquals(0, keep.code(), keep.err());
        dev.hookline.engine.bundle.HookBundle bk = dev.hookline.engine.bundle.HookBundle.read(kept);
        assertTrue(bk.alpha().values().stream().allMatch(a -> a == 0.3), bk.alpha().toString());
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        assertEquals(0.3, json.readTree(bk.hyperparameters()).get("alpha0").asDouble(), 0.0, bk.hyperparameters());
        assertEquals(6, bk.edits());

        // ... and with it the new threshold is the one used and recorded.
        Path moved = tmp.resolve("moved");
        CliRun move = run("edit", "--model", model.toString(), "--bundle", v1.toString(), "--data", data, "--edits", "2",
                "--batch", "2", "--method", "coachhook-span", "--span-alpha", "0.5", "--out", moved.toString());
        assertEquals(0, move.code(), move.err());
        dev.hookline.engine.bundle.HookBundle bm = dev.hookline.engine.bundle.HookBundle.read(moved);
        assertTrue(bm.alpha().values().stream().allMatch(a -> a == 0.5), bm.alpha().toString());
        assertEquals(0.5, json.readTree(bm.hyperparameters()).get("alpha0").asDouble(), 0.0, bm.hyperparameters());
    }

    @Test
    void nearestBundleFromTheCliContinuesAndExplains(@TempDir Path tmp) throws Exception {
        Path model = dev.hookline.engine.edit.EditFixtures.pretrainedTiny();
        String data = model.resolve("world").resolve("counterfact.json").toString();
        Path v1 = tmp.resolve("v1");
        CliRun first = run("edit", "--model", model.toString(), "--data", data, "--edits", "4", "--batch", "2",
                "--method", "coachhook-nearest", "--nearest-alpha", "0.4", "--out", v1.toString());
        assertEquals(0, first.code(), first.err());
        dev.hookline.engine.bundle.HookBundle b1 = dev.hookline.engine.bundle.HookBundle.read(v1);
        assertEquals("nearest", b1.scope());
        assertEquals(8, b1.nearestScope().keyCount());
        assertTrue(b1.alpha().values().stream().allMatch(a -> a == 0.4), b1.alpha().toString());
        // Continued without a threshold option: the parent's threshold and keys carried on.
        Path v2 = tmp.resolve("v2");
        CliRun next = run("edit", "--model", model.toString(), "--bundle", v1.toString(), "--data", data, "--edits", "2",
                "--batch", "2", "--method", "coachhook-nearest", "--out", v2.toString());
        assertEquals(0, next.code(), next.err());
        dev.hookline.engine.bundle.HookBundle b2 = dev.hookline.engine.bundle.HookBundle.read(v2);
        assertTrue(b2.alpha().values().stream().allMatch(a -> a == 0.4), b2.alpha().toString());
        assertEquals(6, b2.edits());
        assertEquals(12, b2.nearestScope().keyCount());
        CliRun bad = run("edit", "--model", model.toString(), "--data", data, "--edits", "2", "--batch", "2",
                "--method", "coachhook-nearest", "--nearest-alpha", "1", "--out", tmp.resolve("v3").toString());
        assertTrue(bad.code() != 0);
        assertTrue(bad.err().contains("--nearest-alpha must be in [0, 1)"), bad.err());
        assertTrue(Files.notExists(tmp.resolve("v3")), "nothing written");
        CliRun explain = run("explain", "--model", model.toString(), "--bundle", v2.toString(), "--prompt",
                "The mother tongue of Setas Zokobri is");
        assertEquals(0, explain.code(), explain.err());
        assertTrue(explain.out().contains("rho"), explain.out());
    }

    @Test
    void codebookBundleFromTheCliContinuesExplainsAndRefusesADeltaMethod(@TempDir Path tmp) throws Exception {
        Path model = dev.hookline.engine.edit.EditFixtures.pretrainedTiny();
        String data = model.resolve("world").resolve("counterfact.json").toString();
        Path v1 = tmp.resolve("v1");
        CliRun first = run("edit", "--model", model.toString(), "--data", data, "--edits", "4", "--batch", "2",
                "--method", "codebook-nearest", "--nearest-alpha", "0.4", "--out", v1.toString());
        assertEquals(0, first.code(), first.err());
        dev.hookline.engine.bundle.HookBundle b1 = dev.hookline.engine.bundle.HookBundle.read(v1);
        assertEquals("codebook-nearest", b1.method());
        assertEquals(dev.hookline.engine.bundle.HookBundle.FORMAT_NEAREST_CODEBOOK, b1.format());
        assertEquals(8, b1.nearestScope().keyCount());
        assertTrue(b1.alpha().values().stream().allMatch(a -> a == 0.4), b1.alpha().toString());
        // Continued without a threshold option: the parent's threshold, keys and rows carried on.
        Path v2 = tmp.resolve("v2");
        CliRun next = run("edit", "--model", model.toString(), "--bundle", v1.toString(), "--data", data, "--edits", "2",
                "--batch", "2", "--method", "codebook-nearest", "--out", v2.toString());
        assertEquals(0, next.code(), next.err());
        dev.hookline.engine.bundle.HookBundle b2 = dev.hookline.engine.bundle.HookBundle.read(v2);
        assertTrue(b2.alpha().values().stream().allMatch(a -> a == 0.4), b2.alpha().toString());
        assertEquals(6, b2.edits());
        assertEquals(12, b2.nearestScope().keyCount());
        int[] layers = b2.layers();
        float[] rows1 = b1.nearestScope().codebook().get(layers[0]);
        float[] rows2 = b2.nearestScope().codebook().get(layers[0]);
        org.junit.jupiter.api.Assertions.assertArrayEquals(rows1, java.util.Arrays.copyOf(rows2, rows1.length), 0f, "the parent's rows stay as they were");
        // A delta method cannot continue it; nothing is written.
        CliRun wrong = run("edit", "--model", model.toString(), "--bundle", v1.toString(), "--data", data, "--edits", "2",
                "--batch", "2", "--method", "alphaedit-nearest", "--out", tmp.resolve("v3").toString());
        assertTrue(wrong.code() != 0);
        assertTrue(wrong.err().contains("cannot continue"), wrong.err());
        assertTrue(Files.notExists(tmp.resolve("v3")), "nothing written");
        CliRun explain = run("explain", "--model", model.toString(), "--bundle", v2.toString(), "--prompt",
                "The mother tongue of Setas Zokobri is");
        assertEquals(0, explain.code(), explain.err());
    }

    @Test
    void alphaEditNearestBundleFromTheCliKeepsItsThresholdsWhenContinued(@TempDir Path tmp) throws Exception {
        Path model = dev.hookline.engine.edit.EditFixtures.pretrainedTiny();
        String data = model.resolve("world").resolve("counterfact.json").toString();
        Path v1 = tmp.resolve("v1");
        CliRun first = run("edit", "--model", model.toString(), "--data", data, "--edits", "4", "--batch", "2",
                "--method", "alphaedit-nearest", "--nearest-alpha", "0.4", "--alphaedit-threshold", "0.5",
                "--out", v1.toString());
        assertEquals(0, first.code(), first.err());
        dev.hookline.engine.bundle.HookBundle b1 = dev.hookline.engine.bundle.HookBundle.read(v1);
        assertEquals("alphaedit-nearest", b1.method());
        assertEquals("nearest", b1.scope());
        assertEquals(8, b1.nearestScope().keyCount());
        assertTrue(b1.alpha().values().stream().allMatch(a -> a == 0.4), b1.alpha().toString());
        assertEquals(0.5, new com.fasterxml.jackson.databind.ObjectMapper().readTree(b1.hyperparameters())
                .path("update").path("nullspaceThreshold").asDouble(), 0, b1.hyperparameters());
        // Continued without options: the parent's scope threshold and null-space threshold carried on.
        Path v2 = tmp.resolve("v2");
        CliRun next = run("edit", "--model", model.toString(), "--bundle", v1.toString(), "--data", data, "--edits", "2",
                "--batch", "2", "--method", "alphaedit-nearest", "--out", v2.toString());
        assertEquals(0, next.code(), next.err());
        dev.hookline.engine.bundle.HookBundle b2 = dev.hookline.engine.bundle.HookBundle.read(v2);
        assertTrue(b2.alpha().values().stream().allMatch(a -> a == 0.4), b2.alpha().toString());
        assertEquals(0.5, new com.fasterxml.jackson.databind.ObjectMapper().readTree(b2.hyperparameters())
                .path("update").path("nullspaceThreshold").asDouble(), 0, b2.hyperparameters());
        assertEquals(6, b2.edits());
        // A coachhook-nearest edit cannot continue it; nothing is written.
        CliRun wrong = run("edit", "--model", model.toString(), "--bundle", v1.toString(), "--data", data, "--edits", "2",
                "--batch", "2", "--method", "coachhook-nearest", "--out", tmp.resolve("v3").toString());
        assertTrue(wrong.code() != 0);
        assertTrue(wrong.err().contains("alphaedit-nearest"), wrong.err());
        assertTrue(Files.notExists(tmp.resolve("v3")), "nothing written");
    }

    @Test
    void alphaEditShardsFromTheCliFillsShardsAndKeepsItsSizeWhenContinued(@TempDir Path tmp) throws Exception {
        Path model = dev.hookline.engine.edit.EditFixtures.pretrainedTiny();
        String data = model.resolve("world").resolve("counterfact.json").toString();
        Path v1 = tmp.resolve("v1");
        CliRun first = run("edit", "--model", model.toString(), "--data", data, "--edits", "4", "--batch", "2",
                "--method", "alphaedit-shards", "--shard-edits", "2", "--alphaedit-threshold", "0.5", "--out", v1.toString());
        assertEquals(0, first.code(), first.err());
        dev.hookline.engine.bundle.HookBundle b1 = dev.hookline.engine.bundle.HookBundle.read(v1);
        assertEquals("alphaedit-shards", b1.method());
        assertEquals(dev.hookline.engine.bundle.HookBundle.FORMAT_NEAREST_SHARDS, b1.format());
        assertEquals(2, b1.nearestScope().shards(), "two edits per shard, four edits");
        var record = new com.fasterxml.jackson.databind.ObjectMapper().readTree(b1.hyperparameters());
        assertEquals(2, record.path("shardEdits").asInt(), b1.hyperparameters());
        assertEquals(0.5, record.path("nearest").path("update").path("nullspaceThreshold").asDouble(), 0,
                b1.hyperparameters());
        // Its own default scope threshold (not alphaedit-nearest's), recorded and served.
        assertEquals(dev.hookline.engine.edit.AlphaEditShardsParams.DEFAULT_ALPHA0,
                record.path("nearest").path("alpha0").asDouble(), 0, b1.hyperparameters());
        assertEquals(java.util.Set.of(dev.hookline.engine.edit.AlphaEditShardsParams.DEFAULT_ALPHA0),
                java.util.Set.copyOf(b1.alpha().values()));
        // Continued without options: the parent's shard size and null-space threshold carried on.
        Path v2 = tmp.resolve("v2");
        CliRun next = run("edit", "--model", model.toString(), "--bundle", v1.toString(), "--data", data, "--edits", "2",
                "--batch", "2", "--method", "alphaedit-shards", "--out", v2.toString());
        assertEquals(0, next.code(), next.err());
        dev.hookline.engine.bundle.HookBundle b2 = dev.hookline.engine.bundle.HookBundle.read(v2);
        assertEquals(6, b2.edits());
        assertEquals(3, b2.nearestScope().shards(), "the parent's full shard leaves the next batch a new one");
        var record2 = new com.fasterxml.jackson.databind.ObjectMapper().readTree(b2.hyperparameters());
        assertEquals(2, record2.path("shardEdits").asInt(), b2.hyperparameters());
        assertEquals(java.util.Set.copyOf(b1.alpha().values()), java.util.Set.copyOf(b2.alpha().values()),
                "the branch keeps its threshold");
        assertEquals(0.5, record2.path("nearest").path("update").path("nullspaceThreshold").asDouble(), 0,
                b2.hyperparameters());
        // alphaedit-nearest cannot continue it (one delta against a delta per shard); nothing is written.
        CliRun wrong = run("edit", "--model", model.toString(), "--bundle", v1.toString(), "--data", data, "--edits", "2",
                "--batch", "2", "--method", "alphaedit-nearest", "--out", tmp.resolve("v3").toString());
        assertTrue(wrong.code() != 0);
        assertTrue(wrong.err().contains("alphaedit-shards"), wrong.err());
        assertTrue(Files.notExists(tmp.resolve("v3")), "nothing written");
        CliRun zero = run("edit", "--model", model.toString(), "--data", data, "--edits", "2", "--batch", "2",
                "--method", "alphaedit-shards", "--shard-edits", "0", "--out", tmp.resolve("v4").toString());
        assertTrue(zero.code() != 0);
        assertTrue(zero.err().contains("--shard-edits must be at least 1"), zero.err());
        assertTrue(Files.notExists(tmp.resolve("v4")), "nothing written");
    }

    @Test
    void relationSpanBundleFromTheCliContinuesAndExplains(@TempDir Path tmp) throws Exception {
        Path model = dev.hookline.engine.edit.EditFixtures.pretrainedTiny();
        Path dataFile = model.resolve("world").resolve("counterfact.json");
        String data = dataFile.toString();
        Path v1 = tmp.resolve("v1");
        CliRun first = run("edit", "--model", model.toString(), "--data", data, "--edits", "6", "--batch", "3",
                "--method", "coachhook-span-relation", "--span-relation-alpha", "0.4", "--span-relation-keys",
                "mean", "--span-relation-routes", "1", "--out", v1.toString());
        assertEquals(0, first.code(), first.err());
        dev.hookline.engine.bundle.HookBundle b1 = dev.hookline.engine.bundle.HookBundle.read(v1);
        assertEquals("span-relation", b1.scope());
        assertEquals(1, b1.relationScopes().routes());
        List<dev.hookline.data.EditRequest> cases = dev.hookline.engine.bench.EditData.requests(dataFile, 6);
        assertEquals(cases.stream().map(dev.hookline.data.EditRequest::relation).distinct().toList(),
                b1.relationScopes().names(), "a span per relation of the edited cases");
        assertTrue(b1.alpha().values().stream().allMatch(a -> a == 0.4), b1.alpha().toString());

        // Continued without a threshold option: the parent's threshold, the relations carried on.
        Path v2 = tmp.resolve("v2");
        CliRun next = run("edit", "--model", model.toString(), "--bundle", v1.toString(), "--data", data, "--edits", "3",
                "--batch", "3", "--method", "coachhook-span-relation", "--out", v2.toString());
        assertEquals(0, next.code(), next.err());
        dev.hookline.engine.bundle.HookBundle b2 = dev.hookline.engine.bundle.HookBundle.read(v2);
        assertTrue(b2.alpha().values().stream().allMatch(a -> a == 0.4), b2.alpha().toString());
        assertEquals(9, b2.edits());
        assertEquals(9, b2.relationScopes().edits().stream().mapToInt(Integer::intValue).sum());
        assertEquals("mean", b2.relationScopes().scopeKeys(), "the parent's key set, not the default mean+plain");
        assertEquals(1, b2.relationScopes().routes(), "the parent's routes, not the default 2");
        CliRun badRoutes = run("edit", "--model", model.toString(), "--data", data, "--edits", "3", "--batch", "3",
                "--method", "coachhook-span-relation", "--span-relation-routes", "3", "--out", tmp.resolve("v4").toString());
        assertTrue(badRoutes.code() != 0);
        assertTrue(badRoutes.err().contains("scopeRoutes must be 1 or 2"), badRoutes.err());
        assertTrue(Files.notExists(tmp.resolve("v4")), "nothing written");
        CliRun bogus = run("edit", "--model", model.toString(), "--data", data, "--edits", "3", "--batch", "3",
                "--method", "coachhook-span-relation", "--span-relation-keys", "plain", "--out", tmp.resolve("v3").toString());
        assertTrue(bogus.code() != 0);
        assertTrue(bogus.err().contains("scopeKeys must be"), bogus.err());
        assertTrue(Files.notExists(tmp.resolve("v3")), "nothing written");

        CliRun explain = run("explain", "--model", model.toString(), "--bundle", v2.toString(), "--prompt",
                cases.get(0).filledPrompt());
        assertEquals(0, explain.code(), explain.err());
        assertTrue(explain.out().contains("rho"), explain.out());
    }

    @Test
    void worldWritesTheDatasetFiles(@TempDir Path tmp) {
        CliRun world = run("world", "--preset", "tiny", "--out", tmp.toString());
        assertEquals(0, world.code(), world.err());
        assertTrue(world.out().contains("world tiny: 48 subjects, 336 facts"), world.out());
        for (String file : new String[] {"corpus.txt", "world.json", "counterfact.json", "zsre.json", "tokenizer.json"}) {
            assertTrue(Files.isRegularFile(tmp.resolve(file)), file);
        }
    }

    @Test
    void generateRunsOnAnHfCheckpoint() throws Exception {
        Path dir = Path.of(getClass().getResource("/hf-gpt2-micro/config.json").toURI()).getParent();
        CliRun gen = run("generate", "--model", dir.toString(), "--prompt", "Hello, world!", "--max-tokens", "3");
        assertEquals(0, gen.code(), gen.err());
        assertTrue(gen.out().startsWith("Hello, world!"), gen.out());
        assertTrue(gen.out().strip().length() > "Hello, world!".length(), gen.out());
    }
}
