/*
 * The tiny preset reaches its accuracy targets. Checks the machine's shared PretrainedModels
 * entry (pretrained by the first test of the build that needs it, or by an earlier build with the
 * same cache key), so a cold build pretrains the tiny world once for every module.
 */
package dev.hookline.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.world.FactWorld;
import dev.hookline.world.Probe;
import dev.hookline.world.WorldPreset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("slow")
class PretrainTinyTest {

    @Test
    void tinyPresetLearnsItsFacts() throws Exception {
        Path out = PretrainedModels.tiny();
        PretrainReport report = new ObjectMapper().readValue(out.resolve(PretrainRun.REPORT_FILE).toFile(),
                PretrainReport.class);
        assertEquals("tiny", report.preset());
        assertEquals(PretrainPreset.named("tiny").epochs(), report.epochs());
        assertTrue(report.canonicalAccuracy() >= 0.95, "canonical accuracy " + report.canonicalAccuracy());
        assertTrue(report.paraphraseAccuracy() >= 0.85, "paraphrase accuracy " + report.paraphraseAccuracy());
        assertTrue(report.finalLoss() < report.firstEpochLoss() / 2, "loss fell: " + report.firstEpochLoss()
                + " -> " + report.finalLoss());
        // Cost is a benchmark figure (docs/BENCHMARKS.md), not an assertion: CPU seconds and RSS
        // depend on the runner's CPU, kernel path and load.
        System.out.printf(java.util.Locale.ROOT, "tiny pretraining: %.1f s wall, %.1f CPU s, RSS end %.0f MB%n",
                report.seconds(), report.cpuSeconds(), report.rssEndMb());
        for (String file : List.of("config.json", "model.safetensors", "tokenizer.json", "pretrain-report.json",
                "world/corpus.txt", "world/counterfact.json")) {
            assertTrue(Files.isRegularFile(out.resolve(file)), file);
        }
        // The saved checkpoint reloads and answers as the trained model did.
        FactWorld world = FactWorld.generate(WorldPreset.named("tiny"));
        List<Probe> probes = world.canonicalProbes();
        try (LanguageModel lm = LanguageModel.load(out)) {
            double reloaded = lm.meanAccuracy(PretrainRun.pairs(probes));
            assertEquals(report.canonicalAccuracy(), reloaded, 1e-9);
            Probe first = probes.get(0);
            String completion = lm.generate(first.prompt(), 1).completion().strip();
            assertEquals(lm.teacherForcedAccuracy(first.prompt(), first.target()) == 1.0,
                    completion.equals(first.target().split(" ")[0]), "greedy agrees with teacher forcing");
        }
    }
}
