/*
 * The bench end to end on a small untrained checkpoint: report.json fields per method, the
 * markdown table, PNG plots, the protocol's curve points, and clear failures on bad input.
 */
package dev.hookline.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hookline.engine.cli.BenchCommand;
import dev.hookline.engine.cli.EditCommand;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.EditFixtures;
import dev.hookline.engine.edit.FtParams;
import dev.hookline.engine.edit.MemitParams;
import dev.hookline.engine.edit.ValueStepParams;
import dev.hookline.engine.eval.ConsecutiveProtocol;
import dev.hookline.engine.io.Checkpoint;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.world.RelationCatalogue;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class BenchHarnessTest {

    @Test
    void benchWritesReportTableAndPlots(@TempDir Path tmp) throws Exception {
        Path model = tmp.resolve("model");
        try (Gpt2Model m = EditFixtures.untrained(8)) {
            Checkpoint.save(m, EditFixtures.tinyWorld().resolve("tokenizer.json"), model);
        }
        ValueStepParams fast = new ValueStepParams(4, 0.3, 4.0, 0.0625, 0.05, 1, 0.02, "last");
        int[] layers = {0, 1};
        Methods methods = new Methods(new CoachHookParams(layers, 10, 2.2, "sequence", fast),
                new CoachHookParams(layers, 10, 2.2, "corpus", fast), new MemitParams(layers, 10, fast),
                new FtParams(layers, 2, 1e-3, 1e-3, 1), RelationCatalogue.CONTEXT_PREFIXES);
        List<String> names = List.of("coachhook", "coachhook-corpus", "coachhook-span", "coachhook-nohook", "memit", "ft");
        BenchHarness.Config config = new BenchHarness.Config(model, EditFixtures.tinyWorld().resolve("counterfact.json"),
                null, names, 6, new ConsecutiveProtocol.Params(2, 2, 10), 50, methods, tmp.resolve("out"), "test");
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        BenchHarness.run(config, new java.io.PrintStream(log, true, java.nio.charset.StandardCharsets.UTF_8));
        String progress = log.toString(java.nio.charset.StandardCharsets.UTF_8);
        System.err.print(progress);
        // The report is rewritten after every method (a stopped bench keeps what it measured), atomically.
        assertTrue(progress.contains("has 1 of 6 methods") && progress.contains("has 6 of 6 methods"), progress);
        assertFalse(Files.exists(tmp.resolve("out").resolve("report.json.partial")));

        JsonNode report = new ObjectMapper().readTree(tmp.resolve("out").resolve("report.json").toFile());
        assertEquals(6, report.path("methods").size());
        assertEquals(1.0, report.path("unedited").path("locality").asDouble(), 0.0);
        double evaluation = report.path("uneditedEvaluationSeconds").asDouble();
        for (JsonNode m : report.path("methods")) {
            evaluation += m.path("evaluationSeconds").asDouble();
        }
        assertTrue(report.path("wallSeconds").asDouble() > evaluation, "wall time covers every evaluation");
        assertEquals("1", report.path("pytorchThreads").asText(), "surefire runs one PyTorch thread");
        for (JsonNode m : report.path("methods")) {
            for (String f : List.of("reliability", "generality", "locality", "efficacy", "paraphrase", "neighborhood")) {
                double v = m.path(f).asDouble(-1);
                assertTrue(v >= 0 && v <= 1, m.path("method").asText() + " " + f + " = " + v);
            }
            assertTrue(m.path("secondsPerBatch").asDouble() > 0);
            assertTrue(m.path("evaluationSeconds").asDouble() > 0, "evaluation time of " + m.path("method").asText());
            assertTrue(m.path("stateBytes").asLong() > 0);
            assertEquals(3, m.path("curve").size(), "curve points after 2, 4 and 6 edits");
            assertEquals(6, m.path("curve").get(2).path("edits").asInt());
            assertEquals(3, m.path("alphaHistory").size(), "one alpha entry per batch");
        }
        JsonNode coach = report.path("methods").get(0);
        assertEquals("coachhook", coach.path("method").asText());
        assertEquals(2, coach.path("alphaHistory").get(2).size(), "alpha per editing layer");
        assertTrue(coach.path("alphaHistory").get(2).path("0").asDouble() <= 2.2);
        JsonNode span = report.path("methods").get(2);
        assertEquals("coachhook-span", span.path("method").asText());
        assertEquals(CoachHookParams.SPAN_ALPHA0, span.path("alphaHistory").get(2).path("0").asDouble(), 0.0,
                "span threshold is fixed");
        String md = Files.readString(tmp.resolve("out").resolve("report.md"));
        for (String n : names) {
            assertTrue(md.contains("| " + n + " |"), "table row for " + n);
        }
        for (String png : List.of("metrics.png", "alpha.png")) {
            BufferedImage img = ImageIO.read(tmp.resolve("out").resolve(png).toFile());
            assertTrue(img.getWidth() >= 360 && img.getHeight() > 100, png);
        }
    }

    @Test
    void badInputFailsWithAMessageAndNonZeroExit(@TempDir Path tmp) {
        int code = new CommandLine(new BenchCommand()).execute("--model", tmp.resolve("missing").toString(),
                "--data", "x.json", "--edits", "10", "--batch", "2", "--out", tmp.resolve("o").toString());
        assertNotEquals(0, code);
        assertFalse(Files.exists(tmp.resolve("o").resolve("report.json")), "nothing half-written");
        assertNotEquals(0, new CommandLine(new EditCommand()).execute("--model", tmp.toString(), "--data",
                tmp.resolve("none.json").toString(), "--batch", "0", "--out", tmp.resolve("b").toString()));
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream message = new java.io.ByteArrayOutputStream();
        int nearest;
        try {
            System.setErr(new java.io.PrintStream(message, true, java.nio.charset.StandardCharsets.UTF_8));
            nearest = new CommandLine(new BenchCommand()).execute("--model", tmp.toString(), "--data", "x.json",
                    "--edits", "10", "--batch", "2", "--methods", "coachhook-nearest", "--nearest-alpha", "1.5",
                    "--out", tmp.resolve("n").toString());
        } finally {
            System.setErr(err);
        }
        assertNotEquals(0, nearest);
        assertTrue(message.toString(java.nio.charset.StandardCharsets.UTF_8).contains("--nearest-alpha must be in [0, 1)"),
                message.toString(java.nio.charset.StandardCharsets.UTF_8));
        assertFalse(Files.exists(tmp.resolve("n").resolve("report.json")), "nothing half-written");
        assertNotEquals(0, new CommandLine(new dev.hookline.engine.cli.ScopeGeometryCommand()).execute("--model",
                tmp.resolve("missing").toString(), "--data", "x.json"));
        assertNotEquals(0, new CommandLine(new dev.hookline.engine.cli.ScopeGeometryCommand()).execute("--model",
                tmp.toString(), "--data", tmp.resolve("none.json").toString()));
        assertThrows(IllegalArgumentException.class, () -> Methods.requireKnown(List.of("rome")));
        assertThrows(IllegalArgumentException.class, () -> new ConsecutiveProtocol.Params(0, 1, 1));
    }
}
