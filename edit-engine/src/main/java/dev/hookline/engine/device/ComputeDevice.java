/*
 * Where the engine computes: one choice from configuration (CLI --device, system property
 * hookline.device, environment HOOKLINE_DEVICE), resolved against what DJL's engine sees.
 * Every model the engine creates or loads without an explicit device uses it, so a forward, a
 * value step, a statistics pass and a closed-form solve all run on that device (their temporaries
 * are created on the model's device). Follows DJL's Device API (ai.djl.Device, Engine.getGpuCount).
 */
package dev.hookline.engine.device;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;

/** The configured compute device: {@code cpu}, {@code gpu}, {@code gpu:N} or {@code auto}. */
public final class ComputeDevice {
    /** Environment variable naming the device (lower precedence than the system property). */
    public static final String ENV = "HOOKLINE_DEVICE";
    /** System property naming the device; the CLI's --device sets it. */
    public static final String PROPERTY = "hookline.device";
    /** The value used when nothing is configured: a GPU when DJL sees one, else the CPU. */
    public static final String AUTO = "auto";

    private ComputeDevice() {}

    /** The configured specification: the property, else the environment, else {@code auto}. */
    public static String configuredSpec() {
        String spec = System.getProperty(PROPERTY);
        if (spec == null || spec.isBlank()) {
            spec = System.getenv(ENV);
        }
        return spec == null || spec.isBlank() ? AUTO : spec.trim().toLowerCase(Locale.ROOT);
    }

    /**
     * The configured device, resolved.
     *
     * @throws IllegalArgumentException if the configuration is malformed or names a GPU DJL does not see
     */
    public static Device configured() {
        return resolve(configuredSpec());
    }

    /**
     * Validates {@code spec} (so a bad value fails at the command line, before any work) and makes
     * it the configured device of this JVM.
     */
    public static Device select(String spec) {
        Device device = resolve(spec);
        System.setProperty(PROPERTY, spec.trim().toLowerCase(Locale.ROOT));
        return device;
    }

    /**
     * Resolves a specification: {@code cpu}; {@code gpu} (GPU 0) or {@code gpu:N}; {@code auto}
     * (GPU 0 when DJL counts at least one GPU, else the CPU).
     *
     * @throws IllegalArgumentException on any other value, or a GPU index DJL does not see
     */
    public static Device resolve(String spec) {
        if (spec == null) {
            throw new IllegalArgumentException("device must be cpu, gpu, gpu:N or auto, got null");
        }
        String s = spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals("cpu")) {
            return Device.cpu();
        }
        if (s.equals(AUTO)) {
            return gpuCount() > 0 ? Device.gpu(0) : Device.cpu();
        }
        int index;
        if (s.equals("gpu")) {
            index = 0;
        } else if (s.matches("gpu:[0-9]{1,3}")) {
            index = Integer.parseInt(s.substring(4));
        } else {
            throw new IllegalArgumentException("device must be cpu, gpu, gpu:N or auto, got '" + spec + "'");
        }
        int count = gpuCount();
        if (index >= count) {
            throw new IllegalArgumentException("device " + s + " requested but DJL sees " + count + " GPU(s)"
                    + (count == 0 ? " (a CUDA libtorch and its DJL JNI are needed: PYTORCH_LIBRARY_PATH, "
                    + "PYTORCH_FLAVOR, -Djna.library.path; see docs/ARCHITECTURE.md, GPU run kit)" : ""));
        }
        return Device.gpu(index);
    }

    /** GPUs the engine sees (0 with a CPU-only libtorch). */
    public static int gpuCount() {
        return Engine.getInstance().getGpuCount();
    }
}
