/*
 * Builds a fact-world model for a fresh installation (`./hookline up` on an empty data
 * directory): pretraining with the engine's PretrainRun, its progress reported to the registry as
 * a model build (status PRETRAINING with percent), then onboarding (upload, register, statistics).
 */
package dev.hookline.worker;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.RegistryClient;
import dev.hookline.client.RegistryException;
import dev.hookline.engine.train.PretrainPreset;
import dev.hookline.engine.train.PretrainRun;
import dev.hookline.engine.train.PretrainedModels;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Pretrain + register, once per model name. */
public final class ModelBuild {
    private static final Logger LOG = LoggerFactory.getLogger(ModelBuild.class);
    /** "done/total" in the engine's progress bar line. */
    private static final Pattern STEP = Pattern.compile("\\] (\\d+)/(\\d+) ");

    private final RegistryClient admin;

    public ModelBuild(RegistryClient admin) {
        this.admin = admin;
    }

    /**
     * The edit defaults a built preset is registered with: the nearest-key thresholds its world's dev stream
     * chose (docs/BENCHMARKS.md: `demo`, d_ff 384, codebook-nearest 0.6 and alphaedit-shards 0.65, twenty-third
     * session; the methods' own 0.5 and 0.45 cost it locality, 0.918 against 0.969 for codebook-nearest) and
     * codebook-subject 0.3 (twenty-seventh session, the same budget and rule); {@code tiny}, the quickstart's model:
     * codebook-nearest 0.2 and codebook-subject 0.1 on its dev stream (61 edits, batch 10, the same rule; twenty-eighth
     * session: at the methods' 0.5 its test stream keeps generality 0.903, at these 0.990 / 0.997); null for a preset
     * without a measured choice.
     */
    public static com.fasterxml.jackson.databind.node.ObjectNode presetEditDefaults(String preset) {
        var d = RegistryClient.json().createObjectNode();
        switch (preset) {
            case "demo" -> {
                d.putObject("codebook-nearest").put("alpha0", 0.6);
                d.putObject("alphaedit-shards").put("alpha0", 0.65);
                d.putObject("codebook-subject").put("alpha0", 0.3);
            }
            case "tiny" -> {
                d.putObject("codebook-nearest").put("alpha0", 0.2);
                d.putObject("codebook-subject").put("alpha0", 0.1);
            }
            default -> {
                return null;
            }
        }
        return d;
    }

    /** The registered model of that name, if any. */
    public java.util.Optional<JsonNode> existing(String name) {
        for (JsonNode m : admin.get("/api/models")) {
            if (m.path("name").asText().equals(name)) {
                return java.util.Optional.of(m);
            }
        }
        return java.util.Optional.empty();
    }

    /**
     * Pretrains {@code preset} (world of the same name) into {@code dir} unless a checkpoint is
     * already there, then registers it as {@code name} with statistics for {@code layers} (null:
     * the model's last block, the editor's default editing layer); answers the model view.
     * Does nothing but answer the model when {@code name} is registered already.
     */
    public JsonNode build(String preset, String name, Path dir, int[] layers, int statisticsLines) throws IOException {
        var found = existing(name);
        if (found.isPresent()) {
            LOG.info("model {} is registered already (id {})", name, found.get().path("id").asLong());
            return found.get();
        }
        try {
            if (!Files.isRegularFile(dir.resolve("model.safetensors")) || !Files.isRegularFile(dir.resolve(PretrainRun.REPORT_FILE))) {
                report(name, preset, "PRETRAINING", "pretrain", 0, null, null);
                Path tmp = dir.resolveSibling(dir.getFileName() + ".building");
                JobExecution.deleteTree(tmp);
                Files.createDirectories(tmp);
                PretrainPreset spec = PretrainPreset.named(preset);
                var cached = spec.world().equals(preset) ? PretrainedModels.existing(spec, 1) : java.util.Optional.<Path>empty();
                if (cached.isPresent()) {
                    // The same weights were pretrained on this machine already (PretrainedModels: same
                    // preset, world and seed): copy them instead of training again.
                    LOG.info("model build {}: copying the machine's pretrained {} from {}", name, preset, cached.get());
                    copyTree(cached.get(), tmp);
                } else {
                    PretrainRun.run(preset, spec, 1, tmp, progressStream(name, preset));
                }
                JobExecution.deleteTree(dir);
                Files.move(tmp, dir);
            }
            report(name, preset, "REGISTERING", "statistics", 100, null, null);
            JsonNode model = new ModelOnboarding(admin).register(name, dir, layers, statisticsLines, null,
                    presetEditDefaults(preset));
            report(name, preset, "READY", "done", 100, model.path("id").asLong(), null);
            return model;
        } catch (IOException | RuntimeException | Error e) {
            report(name, preset, "FAILED", "failed", 0, null, e.getClass().getSimpleName() + ": " + JobExecution.describe(e));
            throw e;
        }
    }

    /** Reports a build state; a registry without the builds endpoint is tolerated (logged). */
    void report(String name, String preset, String status, String phase, int percent, Long modelId, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("preset", preset);
        body.put("status", status);
        body.put("phase", phase);
        body.put("percent", percent);
        if (modelId != null) {
            body.put("modelId", modelId);
        }
        if (message != null) {
            body.put("message", message.length() > 2000 ? message.substring(0, 2000) : message);
        }
        try {
            admin.put("/api/models/builds/" + RegistryClient.q(name), body);
        } catch (RegistryException e) {
            LOG.warn("could not report build {} {} {}%: {}", name, status, percent, e.getMessage());
        }
        LOG.info("model build {} preset={} status={} phase={} percent={}", name, preset, status, phase, percent);
    }

    /** A stream that turns the engine's progress bar into build reports (at most one per percent). */
    private PrintStream progressStream(String name, String preset) {
        OutputStream sink = new OutputStream() {
            private final StringBuilder line = new StringBuilder();
            private int lastPercent = -1;

            @Override
            public void write(int b) {
                if (b == '\r' || b == '\n') {
                    flushLine();
                } else {
                    line.append((char) b);
                }
            }

            private void flushLine() {
                Matcher m = STEP.matcher(line);
                if (m.find()) {
                    long done = Long.parseLong(m.group(1));
                    long total = Math.max(1, Long.parseLong(m.group(2)));
                    int percent = (int) Math.min(99, 100 * done / total);
                    if (percent != lastPercent) {
                        lastPercent = percent;
                        report(name, preset, "PRETRAINING", "pretrain " + done + "/" + total, percent, null, null);
                    }
                }
                line.setLength(0);
            }
        };
        return new PrintStream(sink, true, StandardCharsets.ISO_8859_1);
    }

    /** Copies a checkpoint directory (files and sub-folders such as world/) into {@code target}. */
    private static void copyTree(Path source, Path target) throws IOException {
        try (java.util.stream.Stream<Path> files = Files.walk(source)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path to = target.resolve(source.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else if (!f.getFileName().toString().startsWith(".")) {
                    Files.copy(f, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
