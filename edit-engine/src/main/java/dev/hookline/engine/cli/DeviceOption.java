/*
 * The --device option shared by the engine's and the worker's command lines (picocli mixin,
 * inherited by every subcommand): it sets the JVM's configured compute device.
 */
package dev.hookline.engine.cli;

import dev.hookline.engine.device.ComputeDevice;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** {@code --device cpu|gpu|gpu:N|auto}; without it HOOKLINE_DEVICE, else auto. */
public final class DeviceOption {
    @Spec(Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec spec;

    /** Validates and selects the device; a GPU DJL does not see is a usage error (exit 2). */
    @Option(names = "--device", scope = ScopeType.INHERIT, paramLabel = "cpu|gpu|gpu:N|auto",
            description = "compute device (default $HOOKLINE_DEVICE, else auto: a GPU when DJL sees one)")
    public void setDevice(String device) {
        try {
            ComputeDevice.select(device);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
