/*
 * The bench on a held-out stream: the report names the split, world seed and model seed, has
 * the locality columns by kind, and writes every edit's probes (passed, P before and after) as
 * JSON lines; AlphaEdit and UltraEdit run in the same harness.
 */
package dev.hookline.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.edit.AlphaEditParams;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.EditFixtures;
import dev.hookline.engine.edit.FtParams;
import dev.hookline.engine.edit.MemitParams;
import dev.hookline.engine.edit.UltraEditParams;
import dev.hookline.engine.edit.ValueStepParams;
import dev.hookline.engine.eval.ConsecutiveProtocol;
import dev.hookline.engine.io.Checkpoint;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.world.FactWorld;
import dev.hookline.world.RelationCatalogue;
import dev.hookline.world.WorldPreset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchPerEditTest {
    @Test
    void reportNamesItsDrawAndWritesEveryEdit(@TempDir Path tmp) throws Exception {
        Path worldDir = tmp.resolve("world");
        FactWorld world = FactWorld.generate(WorldPreset.named("tiny"));
        world.writeTo(worldDir);
        Path model = tmp.resolve("model");
        try (Gpt2Model m = EditFixtures.untrained(8)) {
            Checkpoint.save(m, worldDir.resolve("tokenizer.json"), model);
        }
        Files.writeString(model.resolve("pretrain-report.json"), "{\"seed\": 42}");
        ValueStepParams fast = new ValueStepParams(4, 0.3, 4.0, 0.0625, 0.05, 1, 0.02, "last");
        int[] layers = {0, 1};
        CoachHookParams coach = new CoachHookParams(layers, 10, 2.2, "sequence", fast);
        Methods methods = new Methods(coach, new CoachHookParams(layers, 10, 2.2, "corpus", fast),
                new MemitParams(layers, 10, fast), new FtParams(layers, 2, 1e-3, 1e-3, 1),
                RelationCatalogue.CONTEXT_PREFIXES, CoachHookParams.plusTuned(), coach,
                CoachHookParams.spanTuned(), CoachHookParams.spanRelationTuned(),
                new AlphaEditParams(layers, 1e-2, 10, fast), new UltraEditParams(layers, 1e-3, 1));
        List<String> names = List.of("memit", "alphaedit", "ultraedit");
        Path out = tmp.resolve("out");
        BenchHarness.run(new BenchHarness.Config(model, worldDir.resolve("counterfact-test.json"), null, names, 4,
                new ConsecutiveProtocol.Params(2, 4, 4), 50, methods, out, "test"), System.err);

        JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        assertEquals("test", report.path("provenance").path("split").asText());
        assertEquals("given", report.path("provenance").path("labels").asText());
        assertEquals("tiny", report.path("provenance").path("world").asText());
        assertEquals(world.preset().seed(), report.path("provenance").path("worldSeed").asLong());
        assertEquals(42, report.path("provenance").path("modelSeed").asLong());
        Set<String> testSubjects = new HashSet<>();
        world.editRequests(FactWorld.TEST).forEach(r -> testSubjects.add(r.subject()));
        List<EditRequest> stream = world.editRequests(FactWorld.TEST).subList(0, 4);
        for (JsonNode m : report.path("methods")) {
            String method = m.path("method").asText();
            for (String kind : List.of("neighbours", "subject", "unrelated")) {
                double v = m.path("localityByKind").path(kind).asDouble(-1);
                assertTrue(v >= 0 && v <= 1, method + " " + kind + " = " + v);
            }
            List<String> lines = Files.readAllLines(out.resolve(m.path("perEdit").asText()));
            assertEquals(4, lines.size(), "one line per edit");
            for (int i = 0; i < lines.size(); i++) {
                JsonNode e = new ObjectMapper().readTree(lines.get(i));
                assertEquals(method, e.path("method").asText());
                assertEquals(stream.get(i).caseId(), e.path("caseId").asText());
                assertTrue(testSubjects.contains(e.path("subject").asText()), "a test-stream subject");
                double before = e.path("edit").path("probabilityBefore").asDouble(-1);
                double after = e.path("edit").path("probabilityAfter").asDouble(-1);
                assertTrue(before > 0 && before <= 1 && after > 0 && after <= 1, e.toString());
                assertTrue(e.path("paraphrases").size() >= 1);
                Set<String> kinds = new HashSet<>();
                e.path("locality").forEach(l -> kinds.add(l.path("kind").asText()));
                assertTrue(kinds.containsAll(List.of("neighbour", "subject", "unrelated")), kinds.toString());
                for (JsonNode l : e.path("locality")) {
                    assertTrue(l.path("passed").isBoolean());
                }
            }
        }
        String md = Files.readString(out.resolve("report.md"));
        assertTrue(md.contains("split: test, labels: given, world: tiny (seed " + world.preset().seed() + "), model seed: 42"), md);
        assertTrue(md.contains("| alphaedit |") && md.contains("| ultraedit |"));
    }
}
