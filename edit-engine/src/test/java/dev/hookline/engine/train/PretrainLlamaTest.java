/*
 * The Llama pretraining preset trains, saves a Llama checkpoint that transformers' layout names,
 * and reloads to the same answers (slow: a short pretraining run).
 */
package dev.hookline.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.model.Architecture;
import dev.hookline.world.FactWorld;
import dev.hookline.world.WorldPreset;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("slow")
class PretrainLlamaTest {

    @Test
    void tinyLlamaTrainsSavesAndReloads(@TempDir Path out) throws Exception {
        PretrainPreset preset = PretrainPreset.named("tiny-llama").withEpochs(4);
        assertEquals(Architecture.LLAMA, preset.architecture());
        assertEquals("tiny", preset.world());
        PretrainReport report = PretrainRun.run("tiny", preset, 1, out, null);
        assertTrue(report.finalLoss() < report.firstEpochLoss() * 0.8, "loss fell: " + report.firstEpochLoss()
                + " -> " + report.finalLoss());
        var config = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        assertEquals("llama", config.get("model_type").asText());
        assertEquals(2, config.get("num_key_value_heads").asInt());
        try (LanguageModel lm = LanguageModel.load(out)) {
            assertEquals(Architecture.LLAMA, lm.model().architecture());
            assertEquals("model.layers.2.mlp.down_proj", lm.model().mlpProjectionName(2));
            double reloaded = lm.meanAccuracy(PretrainRun.pairs(FactWorld.generate(WorldPreset.named("tiny"))
                    .canonicalProbes()));
            assertEquals(report.canonicalAccuracy(), reloaded, 1e-9);
        }
    }
}
