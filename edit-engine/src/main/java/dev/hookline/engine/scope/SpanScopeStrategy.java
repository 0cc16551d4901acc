/*
 * The span scope's editor-side state: (lambda_s C0)^-1 and the accumulated inverse
 * (lambda_s C0 + sum K K^T)^-1 per layer, from which SpanScope scores rho. With lambda_s equal to
 * the update's lambda the accumulated inverse is the update rule's C_accu^-1 itself; set apart it
 * is kept here and Woodbury-updated with the same keys.
 * Reference: this project's coachhook-span (docs/BENCHMARKS.md, sixth session); SpanScope.
 */
package dev.hookline.engine.scope;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bundle.HookBundle;
import dev.hookline.engine.edit.NormalEquations;
import dev.hookline.engine.hook.SpanScope;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@link SpanScope} per layer; shapes: d_ff MLP width. */
public class SpanScopeStrategy extends ScopeStrategy {

    /** lambda_s: the lambda inside rho. */
    protected final double scopeLambda;
    /** Per layer (lambda_s C0)^-1, (d_ff, d_ff) float64. */
    protected final Map<Integer, NDArray> preserveInverse = new LinkedHashMap<>();
    // decoupled only: (lambda_s C0 + sum K K^T)^-1 per layer, Woodbury-updated with the solve's keys
    private final Map<Integer, NDArray> scopeInverse = new LinkedHashMap<>();

    /** A span scope scoring with {@code scopeLambda} (the update's lambda unless set apart). */
    public SpanScopeStrategy(double scopeLambda) {
        this.scopeLambda = scopeLambda;
    }

    @Override
    public String bundleName() {
        return HookBundle.SPAN;
    }

    /** True if the scope keeps an accumulated inverse of its own (lambda_s differs from lambda). */
    protected boolean decoupled() {
        return scopeLambda != context.lambda();
    }

    @Override
    public void start(ScopeContext editor) {
        super.start(editor);
        int ff = editor.mlpSize();
        for (int l : editor.layers()) {
            if (scopeLambda != editor.lambda()) {
                preserveInverse.put(l, NormalEquations.spdInverse(editor.state(), editor.statistics().c0(l), ff,
                        scopeLambda, "span scope lambda_s C0, layer " + l)); // (lambda_s C0)^-1
            } else {
                preserveInverse.put(l, editor.solveInverse(l).duplicate()); // C_accu starts as lambda C0
            }
            if (decoupled()) {
                scopeInverse.put(l, preserveInverse.get(l).duplicate()); // no edits yet
            }
        }
        refresh();
    }

    @Override
    public void addBatchKeys(NDManager pending, int layer, NDArray kept, double[] keys, double[] plainKeys,
            List<EditRequest> batch, List<Runnable> updates) {
        if (decoupled()) {
            updates.add(() -> NormalEquations.updateInverse(scopeInverse.get(layer), kept).attach(pending));
        }
    }

    @Override
    public void afterBatch(List<EditRequest> batch) {
        refresh();
    }

    /** Installs the span scope tests on the current inverses per layer. */
    @Override
    public void refresh() {
        for (int l : context.layers()) {
            tests.put(l, new SpanScope(preserveInverse.get(l), accumulatedInverse(l)));
        }
    }

    /** The accumulated inverse of layer l: the scope's own when decoupled, else C_accu^-1. */
    protected NDArray accumulatedInverse(int l) {
        return decoupled() ? scopeInverse.get(l) : context.solveInverse(l);
    }

    @Override
    public void restoreLayer(int layer, NDArray cAccu) {
        if (!decoupled()) {
            return;
        }
        // lambda_s C0 + sum K K^T = C_accu + (lambda_s - lambda) C0
        int ff = context.mlpSize();
        try (NDManager work = context.state().newSubManager()) {
            NDArray shift = work.create(context.statistics().c0(layer), new Shape(ff, ff))
                    .mul(scopeLambda - context.lambda());
            NDArray sum = cAccu.add(shift); // (d_ff, d_ff)
            sum.attach(work);
            NDArray inv = NormalEquations.spdInverse(context.state(), sum.toDoubleArray(), ff, 1.0,
                    "restored span scope lambda_s C0 + sum K K^T, layer " + layer);
            NDArray old = scopeInverse.put(layer, inv);
            if (old != null && old != inv) {
                context.retire(old);
            }
        }
    }

    @Override
    public long servingBytesPerLayer(long ff) {
        return 2 * ff * ff * 8L;
    }

    @Override
    public void checkBundle(HookBundle bundle, String method) {
        if (bundle.lambda() != context.lambda()) {
            throw new IllegalArgumentException("span bundle was made with lambda " + bundle.lambda()
                    + ", the editor has lambda " + context.lambda()
                    + ": rho needs C_accu and (lambda C0)^-1 on one lambda");
        }
        checkScopeLambdaAndStatistics(bundle, scopeLambda, "span", "rho uses the editor's (lambda C0)^-1");
    }

    @Override
    public Map<Integer, double[]> preserveInverses() {
        Map<Integer, double[]> out = new LinkedHashMap<>();
        for (int l : context.layers()) {
            out.put(l, preserveInverse.get(l).toDoubleArray()); // (d_ff, d_ff) float64
        }
        return out;
    }

    @Override
    public Map<Integer, double[]> accumulatedInverses() {
        Map<Integer, double[]> out = new LinkedHashMap<>();
        for (int l : context.layers()) {
            out.put(l, accumulatedInverse(l).toDoubleArray()); // (d_ff, d_ff) float64
        }
        return out;
    }

    @Override
    public double bundleScopeLambda() {
        return scopeLambda;
    }
}
