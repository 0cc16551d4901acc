/*
 * `hookline bench serving` on the tiny model and a real bundle: the report names the bundle's own
 * scope (the span-relation form only for span-relation bundles), counts what it ran, and bad
 * options are refused with a message before anything is loaded. Timing figures are only checked
 * to be present and positive: their values belong to docs/BENCHMARKS.md, not to a test.
 */
package dev.hookline.serving.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.engine.bundle.HookBundle;
import dev.hookline.serving.TestBundles;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServingBenchTest {

    @Test
    void reportNamesTheBundlesScopeAndWhatRan(@TempDir Path tmp) throws Exception {
        TestBundles.Fixture fx = TestBundles.tiny();
        HookBundle bundle = HookBundle.read(fx.bundleB(), false);
        Path out = tmp.resolve("serving.json");
        ObjectNode report = ServingBench.run(ServingBench.parse(new String[] {"--model", fx.model().toString(), "--bundle",
                fx.bundleB().toString(), "--requests", "3", "--clients", "1", "--max-tokens", "2", "--warmup", "1", "--out",
                out.toString()}));
        JsonNode written = new ObjectMapper().readTree(out.toFile());
        assertEquals(report.path("date").asText(), written.path("date").asText(), "the file holds the report the run answered");
        assertEquals(bundle.scope(), written.path("scope").asText());
        assertEquals(HookBundle.SPAN_RELATION.equals(bundle.scope()), written.has("spanRelationScopeForm"),
                "the span-relation form is named for span-relation bundles only");
        assertEquals(bundle.edits(), written.path("edits").asInt());
        assertEquals(3, written.path("requests").asInt());
        assertEquals(2, written.path("maxTokens").asInt());
        assertFalse(written.path("layers").isEmpty());
        for (String ratio : new String[] {"forwardRatioMean", "perTokenRatio", "perTokenCpuRatio", "arithmeticFloorRatio"}) {
            double v = written.path(ratio).asDouble(Double.NaN);
            assertTrue(v > 0 && Double.isFinite(v), ratio + " = " + v);
        }
    }

    @Test
    void badOptionsAreRefusedWithAMessage(@TempDir Path tmp) throws Exception {
        TestBundles.Fixture fx = TestBundles.tiny();
        String model = fx.model().toString();
        String bundle = fx.bundleA().toString();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServingBench.parse(new String[] {"--model", model,
                "--bundle", tmp.toString()})).getMessage().contains("--bundle must be a hook bundle directory"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServingBench.parse(new String[] {"--model",
                tmp.resolve("none").toString(), "--bundle", bundle})).getMessage().contains("--model"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServingBench.parse(new String[] {"--model", model,
                "--bundle", bundle, "--requests", "many"})).getMessage().contains("--requests needs an integer"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServingBench.parse(new String[] {"--model", model,
                "--bundle", bundle, "--clients", "0"})).getMessage().contains(">= 1"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServingBench.parse(new String[] {"--model", model,
                "--bundle", bundle, "--speed", "1"})).getMessage().contains("unknown option"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServingBench.parse(new String[] {"--model", model,
                "--bundle"})).getMessage().contains("needs a value"));
    }
}
