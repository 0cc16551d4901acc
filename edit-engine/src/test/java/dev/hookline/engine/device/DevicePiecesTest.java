/*
 * The engine's pieces on the configured device (HOOKLINE_DEVICE / -Dhookline.device, default
 * auto) give the CPU's numbers: a forward against a float64 CPU reference, the statistics pass
 * (float64 C0), a float64 Woodbury inverse update, a CoachHooK batch (value step + closed-form
 * solve + validated hooks) and an FT step. CI runs it on the CPU; on the GPU machine the same
 * class runs with HOOKLINE_DEVICE=gpu (docs/BENCHMARKS.md records that run).
 */
package dev.hookline.engine.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.EditFixtures;
import dev.hookline.engine.edit.FtEditor;
import dev.hookline.engine.edit.FtParams;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.edit.NormalEquations;
import dev.hookline.engine.edit.ValueStepParams;
import dev.hookline.engine.infer.ContinuationScore;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.infer.PromptTarget;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.engine.model.TokenBatch;
import dev.hookline.world.RelationCatalogue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DevicePiecesTest {
    private static final Device DEVICE = ComputeDevice.configured();
    private static final ValueStepParams FAST = new ValueStepParams(12, 0.5, 4.0, 0.0625, 0.05, 2, 0.02, "subject");

    @Test
    void specificationsResolveOrFailClearly() {
        assertEquals(Device.cpu(), ComputeDevice.resolve("cpu"));
        assertEquals(Device.cpu(), ComputeDevice.resolve(" CPU "));
        Device auto = ComputeDevice.resolve("auto");
        assertEquals(ComputeDevice.gpuCount() > 0 ? Device.gpu(0) : Device.cpu(), auto);
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> ComputeDevice.resolve("tpu"));
        assertTrue(bad.getMessage().contains("cpu, gpu, gpu:N or auto"), bad.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> ComputeDevice.resolve("gpu:99"));
        assertTrue(missing.getMessage().contains("DJL sees"), missing.getMessage());
        System.out.println("DevicePiecesTest: configured device " + DEVICE + " (" + ComputeDevice.configuredSpec()
                + "), GPUs seen " + ComputeDevice.gpuCount());
    }

    @Test
    void forwardMatchesAFloat64CpuReference() throws Exception {
        try (Gpt2Model model = EditFixtures.untrained(5, DEVICE);
                Gpt2Model cpu = EditFixtures.untrained(5, Device.cpu());
                Gpt2Model reference = cpu.copy(DataType.FLOAT64);
                TextTokenizer tok = EditFixtures.tokenizer()) {
            assertEquals(DEVICE, model.device());
            List<int[]> rows = new ArrayList<>();
            for (String line : EditFixtures.corpus().subList(0, 6)) {
                rows.add(tok.encode(line));
            }
            TokenBatch batch = TokenBatch.of(rows, 0);
            double[] got;
            double[] want;
            try (NDManager m = NDManager.newBaseManager(DEVICE); NDManager c = NDManager.newBaseManager(Device.cpu())) {
                got = model.forward(m, batch, ForwardOptions.defaults()).logits()
                        .toType(DataType.FLOAT64, false).toDoubleArray(); // (B, T, V)
                want = reference.forward(c, batch, ForwardOptions.defaults()).logits().toDoubleArray();
            }
            assertTrue(relative(got, want) < 1e-5, "float32 forward on " + DEVICE + " vs float64 CPU: " + relative(got, want));
        }
    }

    @Test
    void statisticsAndInverseUpdateAgreeWithTheCpu() throws Exception {
        int[] layers = {0, 1};
        try (Gpt2Model model = EditFixtures.untrained(6, DEVICE);
                Gpt2Model cpu = EditFixtures.untrained(6, Device.cpu());
                TextTokenizer tok = EditFixtures.tokenizer()) {
            LayerStatistics here = LayerStatistics.compute(model, tok, EditFixtures.corpus(), 150, layers, "d");
            LayerStatistics there = LayerStatistics.compute(cpu, tok, EditFixtures.corpus(), 150, layers, "d");
            assertEquals(there.tokenCount(), here.tokenCount());
            for (int l : layers) {
                assertTrue(relative(here.c0(l), there.c0(l)) < 1e-5, "C0 layer " + l + ": " + relative(here.c0(l), there.c0(l)));
            }
            // Float64 Woodbury update on the device: (C + K K^T)^-1 from C^-1, checked against
            // the definition, with C = C0 + I (positive definite).
            int ff = model.config().mlpSize();
            double[] c = here.c0(0).clone();
            for (int i = 0; i < ff; i++) {
                c[i * ff + i] += 1;
            }
            Random random = new Random(7);
            double[] k = new double[ff * 5];
            for (int i = 0; i < k.length; i++) {
                k[i] = random.nextGaussian();
            }
            try (NDManager m = NDManager.newBaseManager(DEVICE)) {
                NDArray cArr = m.create(c, new Shape(ff, ff)); // (d_ff, d_ff) float64
                NDArray keys = m.create(k, new Shape(ff, 5)); // (d_ff, u)
                NDArray p = cArr.inverse();
                NormalEquations.updateInverse(p, keys);
                assertEquals(DataType.FLOAT64, p.getDataType());
                assertEquals(DEVICE, p.getDevice());
                NDArray full = cArr.add(keys.matMul(keys.transpose())); // (d_ff, d_ff)
                double[] identity = full.matMul(p).toDoubleArray();
                double worst = 0;
                for (int i = 0; i < ff; i++) {
                    for (int j = 0; j < ff; j++) {
                        worst = Math.max(worst, Math.abs(identity[i * ff + j] - (i == j ? 1 : 0)));
                    }
                }
                assertTrue(worst < 1e-9, "float64 (C + K K^T) P - I on " + DEVICE + ": " + worst);
            }
        }
    }

    @Test
    void aCoachHookBatchAndAnFtStepGiveTheCpuNumbers() throws Exception {
        int[] layers = {0, 1};
        List<EditRequest> batch = EditFixtures.requests().subList(0, 6);
        CoachHookParams params = new CoachHookParams(layers, 10, 2.2, "corpus", FAST);
        Outcome here = edit(DEVICE, layers, batch, params);
        Outcome there = edit(Device.cpu(), layers, batch, params);
        for (int l : layers) {
            assertEquals(there.alphas.get(l), here.alphas.get(l), 1e-6, "alpha layer " + l);
            assertTrue(relative(here.deltas.get(l), there.deltas.get(l)) < 1e-3,
                    "W_h - W_0 layer " + l + ": " + relative(here.deltas.get(l), there.deltas.get(l)));
        }
        assertTrue(relative(here.editedLogProbs, there.editedLogProbs) < 1e-3,
                "hooked log-probs of the new targets: " + relative(here.editedLogProbs, there.editedLogProbs));
        assertTrue(relative(here.ftWeights, there.ftWeights) < 1e-5, "FT weights: " + relative(here.ftWeights, there.ftWeights));
        assertTrue(relative(here.ftMove, there.ftMove) < 1e-2, "FT's move: " + relative(here.ftMove, there.ftMove));
    }

    private record Outcome(Map<Integer, Double> alphas, Map<Integer, double[]> deltas, double[] editedLogProbs,
            double[] ftWeights, double[] ftMove) {}

    private static Outcome edit(Device device, int[] layers, List<EditRequest> batch, CoachHookParams params)
            throws Exception {
        try (Gpt2Model base = EditFixtures.untrained(8, device); TextTokenizer tok = EditFixtures.tokenizer()) {
            LayerStatistics stats = LayerStatistics.compute(base, tok, EditFixtures.corpus(), 150, layers, "d");
            Map<Integer, Double> alphas;
            Map<Integer, double[]> deltas = new java.util.HashMap<>();
            List<ContinuationScore> scores;
            try (ClosedFormEditor editor = ClosedFormEditor.coachHook(base, tok, stats, params,
                    RelationCatalogue.CONTEXT_PREFIXES, "coachhook")) {
                editor.apply(batch);
                alphas = editor.alphas();
                for (int l : layers) {
                    deltas.put(l, toDoubles(editor.delta(l)));
                }
                List<PromptTarget> pairs = batch.stream().map(r -> new PromptTarget(r.filledPrompt(), r.targetNew())).toList();
                scores = LanguageModel.wrap(base, tok).score(pairs, ForwardOptions.builder().hooks(editor.validatedHooks()).build());
            }
            List<Double> lp = new ArrayList<>();
            for (ContinuationScore s : scores) {
                for (double v : s.logProbs()) {
                    lp.add(v);
                }
            }
            double[] w0 = toDoubles(base.mlpProjectionWeight(1).toFloatArray());
            double[] ft;
            try (FtEditor editor = new FtEditor(base, tok, new FtParams(layers, 3, 1e-3, 1e-3, 1), RelationCatalogue.CONTEXT_PREFIXES)) {
                editor.apply(batch.subList(0, 3));
                ft = toDoubles(editor.model().mlpProjectionWeight(1).toFloatArray());
            }
            double[] move = new double[ft.length];
            for (int i = 0; i < ft.length; i++) {
                move[i] = ft[i] - w0[i];
            }
            return new Outcome(alphas, deltas, lp.stream().mapToDouble(Double::doubleValue).toArray(), ft, move);
        }
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /** ||a - b|| / ||b||. */
    private static double relative(double[] a, double[] b) {
        assertEquals(b.length, a.length);
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            assertTrue(Double.isFinite(a[i]), "finite at " + i);
            num += (a[i] - b[i]) * (a[i] - b[i]);
            den += b[i] * b[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-300));
    }
}
