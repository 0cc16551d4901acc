/*
 * The --precision option shared by the engine's and the worker's command lines (picocli mixin,
 * inherited by every subcommand), as DeviceOption: it sets the JVM's configured precision.
 */
package dev.hookline.engine.cli;

import dev.hookline.engine.device.Precision;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** {@code --precision fp32|fp16}; without it HOOKLINE_PRECISION, else fp32. */
public final class PrecisionOption {
    @Spec(Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec spec;

    /** Validates and selects the precision; another value is a usage error (exit 2). */
    @Option(names = "--precision", scope = ScopeType.INHERIT, paramLabel = "fp32|fp16",
            description = "weights of the base model's forwards: fp32, or fp16 (matrices in float16, products in"
                    + " float16; norms, softmax, keys, hooks, value step and solves unchanged); default"
                    + " $HOOKLINE_PRECISION, else fp32 (bf16: not available with DJL 0.36's JNI)")
    public void setPrecision(String precision) {
        try {
            Precision.select(precision);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
