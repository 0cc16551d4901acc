/*
 * Resident set size of this process, read from /proc/self/status (Linux).
 */
package dev.hookline.engine.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Process memory figures for reports. */
public final class ProcessMemory {
    private ProcessMemory() {}

    /** CPU seconds this process has used (all threads), or -1 if the JVM cannot tell. */
    public static double cpuSeconds() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean bean) {
            return bean.getProcessCpuTime() / 1e9;
        }
        return -1;
    }

    /** VmRSS in MiB, or -1 where /proc is not available. */
    public static double residentMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    String kb = line.substring(6).trim().split("\\s+")[0];
                    return Long.parseLong(kb) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
