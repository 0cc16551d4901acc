/*
 * The precision the base model's matrices are held in for forward passes: one choice from
 * configuration (CLI --precision, system property hookline.precision, environment
 * HOOKLINE_PRECISION), as ComputeDevice chooses the device.
 * Reference: PyTorch automatic mixed precision (torch.autocast): matmuls in half precision, norms,
 * softmax and reductions in float32, the optimised values and master weights in float32.
 */
package dev.hookline.engine.device;

import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/**
 * {@code fp32}: every parameter float32 (the default). {@code fp16}: the base model's matrices
 * (embeddings, attention and MLP projections, the head) are held in float16 and every projection
 * multiplies in float16 (float32 accumulation inside the kernel) with its input cast down and its
 * output cast back to float32; norms, biases, activations, attention scores and softmax, the
 * residual stream, the keys the hooks and statistics see, hook deltas, the value step's delta and
 * the closed-form solves keep their own precision (float32, float64). Half the weight memory and
 * bandwidth, and tensor-core matmuls on a GPU (an H100 multiplies float16 as fast as bfloat16).
 *
 * <p>{@code bf16} is refused: DJL 0.36's PyTorch JNI maps no dtype code to bfloat16
 * ({@code utils::GetScalarTypeFromDType} rethrows with no active exception, so the JVM aborts at
 * the first cast), on the CPU jar and on the GPU machine's JNI built from the same sources alike.
 * float16 has a smaller range (largest finite 65504) and a finer mantissa (11 bits against 8);
 * every value cast down here is a normalised activation, a key or a projection's output, well
 * inside that range for the models this engine loads.
 */
public enum Precision {
    /** All weights float32. */
    FP32(DataType.FLOAT32),
    /** Base-model matrices float16, everything else as in FP32. */
    FP16(DataType.FLOAT16);

    /** Environment variable naming the precision (lower precedence than the system property). */
    public static final String ENV = "HOOKLINE_PRECISION";
    /** System property naming the precision; the CLI's --precision sets it. */
    public static final String PROPERTY = "hookline.precision";

    private final DataType weightType;

    Precision(DataType weightType) {
        this.weightType = weightType;
    }

    /** The dtype of the base model's matrices under this precision. */
    public DataType weightType() {
        return weightType;
    }

    /** The name on the command line: {@code fp32} or {@code fp16}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The configured precision: the property, else the environment, else fp32. */
    public static Precision configured() {
        String spec = System.getProperty(PROPERTY);
        if (spec == null || spec.isBlank()) {
            spec = System.getenv(ENV);
        }
        return spec == null || spec.isBlank() ? FP32 : parse(spec);
    }

    /** Validates {@code spec} and makes it the configured precision of this JVM. */
    public static Precision select(String spec) {
        Precision p = parse(spec);
        System.setProperty(PROPERTY, p.label());
        return p;
    }

    /**
     * {@code fp32} or {@code fp16} (case-insensitive).
     *
     * @throws IllegalArgumentException on any other value; for {@code bf16} saying why it is not available
     */
    public static Precision parse(String spec) {
        String s = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT);
        return switch (s) {
            case "fp32" -> FP32;
            case "fp16" -> FP16;
            case "bf16" -> throw new IllegalArgumentException("precision bf16 is not available: DJL 0.36's PyTorch JNI"
                    + " has no bfloat16 dtype (a cast aborts the JVM); use fp16 (same tensor-core rate on a GPU)");
            default -> throw new IllegalArgumentException("precision must be fp32 or fp16, got '" + spec + "'");
        };
    }
}
