/*
 * codebook-nearest (this project's method): each edit's residual at the editing layer is a codebook row, served
 * where the nearest-edit scope admits a position, for that position's nearest edited key. Checked against
 * independent computations: the first batch's rows are the value step's targets less the unedited hidden states,
 * computed by ValueStep on the base model alone; an edited prompt served with the hooks reaches, at the editing
 * layer, the target of the edit whose key it is nearest to (its own, for most prompts); every position of edited,
 * unedited and corpus prompts takes exactly its nearest key's row where the score passes the threshold and keeps
 * the base output to the bit elsewhere (a naive loop over the routes).
 */
package dev.hookline.engine.edit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bench.Methods;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.hook.NearestKeyScope;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.TokenBatch;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.world.RelationCatalogue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CodebookNearestTest {
    private static final int[] LAYERS = {1};
    private static final ValueStepParams FAST = new ValueStepParams(3, 0.5, 4.0, 0.0625, 0.05, 1, 0.02, "subject");

    private static ClosedFormEditor codebook(Gpt2Model base, TextTokenizer tok, LayerStatistics stats, double alpha) {
        return ClosedFormEditor.codebookNearest(base, tok, stats, new CodebookNearestParams(LAYERS, alpha, 1, FAST),
                RelationCatalogue.CONTEXT_PREFIXES);
    }

    private static LayerStatistics stats(Gpt2Model base, TextTokenizer tok, Path tmp) throws Exception {
        return LayerStatistics.loadOrCompute(base, tok, EditFixtures.corpus(), 100, LAYERS, tmp.resolve("stats"));
    }

    private static List<EditPrompts> prompts(List<EditRequest> batch, TextTokenizer tok) {
        List<EditPrompts> out = new ArrayList<>();
        for (EditRequest r : batch) {
            out.add(EditPrompts.of(r, tok, RelationCatalogue.CONTEXT_PREFIXES, false));
        }
        return out;
    }

    @Test
    void rowsAreTheValueStepsResidualsAndEditedPromptsReachTheirNearestEditsTarget(@TempDir Path tmp) throws Exception {
        List<EditRequest> first = EditFixtures.requests().subList(0, 4);
        List<EditRequest> second = EditFixtures.requests().subList(4, 8);
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer();
                NDManager m = NDManager.newBaseManager(base.device())) {
            LayerStatistics stats = stats(base, tok, tmp);
            List<EditPrompts> all = prompts(EditFixtures.requests().subList(0, 8), tok);
            // Independent: the value step on the base model alone, per batch (the second batch's prompts are not
            // admitted by the first batch's rows at threshold 0.95, checked below, so it also sees the base model).
            ValueStep.Result v1 = ValueStep.compute(base, Map.of(), all.subList(0, 4), 1, FAST);
            ValueStep.Result v2 = ValueStep.compute(base, Map.of(), all.subList(4, 8), 1, FAST);
            double[][] targets = new double[8][];
            double[][] hidden = new double[8][];
            for (int i = 0; i < 4; i++) {
                targets[i] = v1.targets()[i];
                targets[4 + i] = v2.targets()[i];
                hidden[i] = v1.hidden()[i];
                hidden[4 + i] = v2.hidden()[i];
            }
            try (ClosedFormEditor editor = codebook(base, tok, stats, 0.95)) {
                int deltaLength = editor.delta(1).length;
                assertEquals(deltaLength, editor.hookState(1).length, "no rows before the first edit");
                editor.apply(first);
                float[] stateFirst = editor.hookState(1);
                NearestKeyScope afterFirst = (NearestKeyScope) editor.validatedHooks().get(1).scope();
                for (EditPrompts p : all.subList(4, 8)) {
                    for (int[] variant : p.variants()) {
                        var r = base.forward(m, TokenBatch.single(variant, base.config().eosTokenId()),
                                ForwardOptions.builder().captureKeys(1).computeLogits(false).build());
                        for (double score : afterFirst.keyScores(r.keys(1))) {
                            assertTrue(score < 0.95, "no second-batch position takes a first-batch row: " + score);
                        }
                    }
                }
                editor.apply(second);
                assertEquals("codebook-nearest", editor.method());
                HookLayer hook = editor.validatedHooks().get(1);
                int d = base.config().hiddenSize();
                float[] rows = hook.codebook().toFloatArray(); // (1 + 16, d)
                assertEquals((1 + 16) * d, rows.length, "a zero row, then two keys' rows per edit");
                for (int x = 0; x < d; x++) {
                    assertEquals(0f, rows[x], "row 0 is zeros");
                }
                // the hook state the worker reports norms of: the (zero) delta, then the rows; a batch only appends
                float[] state = editor.hookState(1);
                assertEquals(deltaLength + rows.length, state.length);
                assertEquals(deltaLength + (1 + 8) * d, stateFirst.length, "after the first batch: a zero row and 8");
                for (int i = 0; i < state.length; i++) {
                    assertEquals(i < deltaLength ? 0f : rows[i - deltaLength], state[i], "hook state " + i);
                    if (i < stateFirst.length) {
                        assertEquals(stateFirst[i], state[i], "the first batch's state is a prefix, at " + i);
                    }
                }
                double scale = 0;
                for (int e = 0; e < 8; e++) {
                    int batchStart = 1 + (e / 4) * 8;
                    for (int copy = 0; copy < 2; copy++) { // the mean key's row, then the plain key's
                        int row = batchStart + copy * 4 + e % 4;
                        for (int x = 0; x < d; x++) {
                            double expected = targets[e][x] - hidden[e][x];
                            scale = Math.max(scale, Math.abs(expected));
                            assertEquals(expected, rows[row * d + x], 1e-4 * (1 + Math.abs(expected)),
                                    "edit " + e + " row " + row + " component " + x);
                        }
                    }
                }
                assertTrue(scale > 1e-2, "the edits change the layer's output: " + scale);
                // Served: each edit prompt's edited position reaches the target of the edit owning its nearest key.
                NearestKeyScope scope = (NearestKeyScope) hook.scope();
                int own = 0;
                for (int e = 0; e < 8; e++) {
                    EditPrompts p = all.get(e);
                    int at = p.subjectLast()[0];
                    TokenBatch batch = TokenBatch.single(p.variants().get(0), base.config().eosTokenId());
                    var plain = base.forward(m, batch, ForwardOptions.builder().captureKeys(1).computeLogits(false).build());
                    NearestKeyScope.Routed routed = scope.routes(plain.keys(1));
                    int column = routed.columns()[at];
                    int owner = (column / 8) * 4 + column % 4;
                    own += owner == e ? 1 : 0;
                    assertTrue(routed.scores()[at] >= 0.95, "edit " + e + " is admitted: " + routed.scores()[at]);
                    var served = base.forward(m, batch, ForwardOptions.builder()
                            .hooks(editor.validatedHooks()).captureResiduals(true).computeLogits(false).build());
                    float[] h = served.residual(1).toType(DataType.FLOAT32, false).toFloatArray(); // (1, T, d)
                    for (int x = 0; x < d; x++) {
                        double expected = hidden[e][x] + targets[owner][x] - hidden[owner][x];
                        assertEquals(expected, h[at * d + x], 1e-3 * (1 + Math.abs(expected)),
                                "edit " + e + " (nearest key of edit " + owner + ") component " + x);
                    }
                }
                assertTrue(own >= 6, "most edit prompts are nearest to their own key: " + own + " of 8");
            }
        }
    }

    @Test
    void eachPositionTakesItsNearestKeysRowOrKeepsTheBaseOutputExactly(@TempDir Path tmp) throws Exception {
        List<EditRequest> requests = EditFixtures.requests().subList(0, 12);
        List<String> probe = new ArrayList<>();
        for (EditRequest r : EditFixtures.requests().subList(0, 16)) { // 12 edited, 4 not
            probe.add(r.filledPrompt());
        }
        probe.addAll(EditFixtures.corpus().subList(0, 4));
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer();
                NDManager m = NDManager.newBaseManager(base.device())) {
            LayerStatistics stats = stats(base, tok, tmp);
            try (ClosedFormEditor editor = codebook(base, tok, stats, 0.5)) {
                for (int i = 0; i < 12; i += 4) {
                    editor.apply(requests.subList(i, i + 4));
                }
                HookLayer hook = editor.validatedHooks().get(1);
                NearestKeyScope scope = (NearestKeyScope) hook.scope();
                assertEquals(24, scope.edits());
                int d = base.config().hiddenSize();
                float[] rows = hook.codebook().toFloatArray();
                int admitted = 0;
                int kept = 0;
                for (String p : probe) {
                    int[] ids = tok.encode(p);
                    var result = base.forward(m, TokenBatch.single(ids, base.config().eosTokenId()),
                            ForwardOptions.builder().captureKeys(1).computeLogits(false).build());
                    NDArray k = result.keys(1); // (1, T, d_ff)
                    int t = (int) k.getShape().get(1);
                    float[] original = new float[t * d];
                    for (int i = 0; i < original.length; i++) {
                        original[i] = (float) Math.sin(i); // any base output; the hook adds to it
                    }
                    NDArray orig = m.create(original, new Shape(1, t, d));
                    float[] got = hook.replace(1, k, orig, m.ones(new Shape(1, t))).toType(DataType.FLOAT32, false)
                            .toFloatArray();
                    NearestKeyScope.Routed routed = scope.routes(k);
                    for (int pos = 0; pos < t; pos++) {
                        boolean takes = routed.scores()[pos] >= 0.5;
                        for (int x = 0; x < d; x++) {
                            float expected = takes ? original[pos * d + x] + rows[(routed.columns()[pos] + 1) * d + x]
                                    : original[pos * d + x];
                            assertEquals(expected, got[pos * d + x], takes ? 1e-5f : 0f,
                                    "'" + p + "' position " + pos + " (score " + routed.scores()[pos] + ")");
                        }
                        admitted += takes ? 1 : 0;
                        kept += takes ? 0 : 1;
                    }
                }
                assertTrue(admitted > 0 && kept > 0, "both kinds of position occur: " + admitted + " / " + kept);
                // A swept threshold serves the same rows at another threshold: everything admitted at 0.
                var open = editor.inferenceOptionsAtThreshold(0.0).orElseThrow();
                HookLayer openHook = (HookLayer) open.hooks().get(1);
                assertEquals(0.0, openHook.alpha());
                assertEquals(hook.codebook(), openHook.codebook());
            }
        }
    }

    @Test
    void oneLayerOnlyAndTheBenchKnowsIt(@TempDir Path tmp) throws Exception {
        assertThrows(IllegalArgumentException.class, () -> new CodebookNearestParams(new int[] {0, 1}, 0.45, 15, FAST));
        assertThrows(IllegalArgumentException.class, () -> new CodebookNearestParams(LAYERS, 1.0, 15, FAST));
        Methods methods = Methods.defaults(RelationCatalogue.CONTEXT_PREFIXES);
        assertTrue(Methods.NAMES.contains("codebook-nearest"));
        assertEquals(CodebookNearestParams.DEFAULT_ALPHA0, methods.codebookNearest().alpha0());
        assertArrayEquals(methods.alphaEditShards().nearest().update().layers(), methods.codebookNearest().layers());
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer()) {
            LayerStatistics stats = stats(base, tok, tmp);
            try (ClosedFormEditor editor = codebook(base, tok, stats, 0.45)) {
                editor.apply(EditFixtures.requests().subList(0, 2));
                int d = base.config().hiddenSize();
                int ff = base.config().mlpSize();
                // Serving: W^T, 4 keys, 5 rows and alpha; nothing kept for editing alone.
                assertEquals(ff * ff * 4L + 4L * ff * 4 + 5L * d * 4 + 8, editor.stateBytes());
            }
        }
    }
}
