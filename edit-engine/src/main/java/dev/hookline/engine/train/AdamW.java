/*
 * AdamW on DJL NDArrays with global-norm gradient clipping.
 * Reference: Loshchilov & Hutter, "Decoupled Weight Decay Regularization" (2019), as in
 * torch.optim.AdamW; clipping as torch.nn.utils.clip_grad_norm_.
 */
package dev.hookline.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.engine.io.SafeTensors;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Optimiser state (first and second moments) for a set of named parameters. Weight decay applies
 * only to the names in {@code decayed} (matrices; not biases, LayerNorm gains or embeddings).
 * The moment buffers live in their own manager, released by {@link #close()}.
 */
public final class AdamW implements AutoCloseable {

    /**
     * @param beta1 first-moment decay
     * @param beta2 second-moment decay
     * @param epsilon denominator guard
     * @param weightDecay decoupled decay factor (multiplied by the learning rate)
     * @param maxGradNorm global gradient norm clip (<= 0 disables clipping)
     */
    public record Settings(double beta1, double beta2, double epsilon, double weightDecay, double maxGradNorm) {
        public Settings {
            if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("betas must be in [0, 1): " + beta1 + ", " + beta2);
            }
            if (epsilon <= 0 || weightDecay < 0) {
                throw new IllegalArgumentException("epsilon must be > 0 and weightDecay >= 0");
            }
        }

        /** GPT-2-style defaults: betas (0.9, 0.95), eps 1e-8, decay 0.1, clip 1.0. */
        public static Settings defaults() {
            return new Settings(0.9, 0.95, 1e-8, 0.1, 1.0);
        }
    }

    private final Settings settings;
    private final Map<String, NDArray> parameters;
    private final Set<String> decayed;
    private final NDManager stateManager;
    private final Map<String, NDArray> firstMoment = new LinkedHashMap<>();
    private final Map<String, NDArray> secondMoment = new LinkedHashMap<>();
    private long step;

    public AdamW(Map<String, NDArray> parameters, Set<String> decayed, Settings settings) {
        this.settings = settings;
        this.parameters = new LinkedHashMap<>(parameters);
        this.decayed = Set.copyOf(decayed);
        NDArray any = parameters.values().iterator().next();
        this.stateManager = NDManager.newBaseManager(any.getDevice());
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            NDArray m = stateManager.zeros(e.getValue().getShape(), e.getValue().getDataType());
            NDArray v = stateManager.zeros(e.getValue().getShape(), e.getValue().getDataType());
            firstMoment.put(e.getKey(), m);
            secondMoment.put(e.getKey(), v);
        }
    }

    /** Number of updates applied so far. */
    public long steps() {
        return step;
    }

    /**
     * The moments as float32 tensors, {@code m.NAME} and {@code v.NAME} for every parameter, for a
     * snapshot that {@link #restore} reads back.
     */
    public List<SafeTensors.FloatTensor> momentTensors() {
        List<SafeTensors.FloatTensor> tensors = new ArrayList<>();
        for (String name : parameters.keySet()) {
            for (String prefix : List.of("m.", "v.")) {
                NDArray moment = (prefix.equals("m.") ? firstMoment : secondMoment).get(name);
                float[] values = moment.toType(DataType.FLOAT32, false).toFloatArray();
                tensors.add(new SafeTensors.FloatTensor(prefix + name, moment.getShape().getShape(), values));
            }
        }
        return tensors;
    }

    /**
     * Replaces every moment with the one {@link #momentTensors()} wrote to {@code snapshot} and
     * sets the update count to {@code steps} (the bias corrections depend on it).
     *
     * @throws IllegalArgumentException if the snapshot lacks a moment or has another shape
     */
    public void restore(long steps, SafeTensors.Reader snapshot) throws IOException {
        if (steps < 0) {
            throw new IllegalArgumentException("steps must be >= 0, got " + steps);
        }
        for (String name : parameters.keySet()) {
            for (Map<String, NDArray> moments : List.of(firstMoment, secondMoment)) {
                String key = (moments == firstMoment ? "m." : "v.") + name;
                NDArray old = moments.get(name);
                if (!snapshot.tensors().containsKey(key)) {
                    throw new IllegalArgumentException("optimiser snapshot has no " + key);
                }
                long[] shape = snapshot.tensors().get(key).shape();
                if (!Arrays.equals(shape, old.getShape().getShape())) {
                    throw new IllegalArgumentException("optimiser snapshot's " + key + " has shape "
                            + Arrays.toString(shape) + ", the parameter " + old.getShape());
                }
                NDArray loaded = stateManager.create(snapshot.readFloat32(key).asFloatBuffer(), new Shape(shape))
                        .toType(old.getDataType(), false);
                moments.put(name, loaded);
                old.close();
            }
        }
        this.step = steps;
    }

    /**
     * Clips the gradients to the global norm, applies one AdamW update with {@code learningRate},
     * and zeroes the gradients.
     *
     * @return the global gradient norm before clipping
     */
    public double step(double learningRate) {
        step++;
        double sumSquares = 0;
        try (NDManager scratch = stateManager.newSubManager()) {
            Map<String, NDArray> grads = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
                NDArray g = e.getValue().getGradient();
                g.attach(scratch); // the wrapper only; the parameter keeps its gradient buffer
                grads.put(e.getKey(), g);
                sumSquares += g.square().sum().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
            }
            double norm = Math.sqrt(sumSquares);
            double clip = settings.maxGradNorm() > 0 && norm > settings.maxGradNorm()
                    ? settings.maxGradNorm() / (norm + 1e-6) : 1.0;
            double b1 = settings.beta1();
            double b2 = settings.beta2();
            double correction1 = 1 - Math.pow(b1, step);
            double correction2 = 1 - Math.pow(b2, step);
            for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
                String name = e.getKey();
                NDArray p = e.getValue();
                NDArray m = firstMoment.get(name);
                NDArray v = secondMoment.get(name);
                NDArray g = grads.get(name);
                try (NDManager local = scratch.newSubManager()) {
                    local.tempAttachAll(p, m, v);
                    NDArray clipped = g.mul(clip); // (same shape as p)
                    clipped.attach(local);
                    m.muli(b1).addi(clipped.mul(1 - b1));
                    v.muli(b2).addi(clipped.square().mul(1 - b2));
                    if (decayed.contains(name) && settings.weightDecay() > 0) {
                        p.muli(1 - learningRate * settings.weightDecay());
                    }
                    NDArray denominator = v.div(correction2).sqrt().add(settings.epsilon());
                    p.subi(m.mul(learningRate / correction1).div(denominator));
                }
                g.subi(g); // zero the gradient in place for the next step
            }
            return norm;
        }
    }

    @Override
    public void close() {
        stateManager.close();
    }
}
