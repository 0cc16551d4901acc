/*
 * `hookline model list|wait|defaults`: registered base models, the builds that produce them and their edit
 * defaults (docs/API.md: /api/models, /api/models/builds, /api/models/{id}/edit-defaults).
 */
package dev.hookline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.RegistryClient;
import dev.hookline.client.RegistryException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Model commands. */
@Command(name = "model", description = "Registered base models and model builds.",
        subcommands = {ModelCommands.ListModels.class, ModelCommands.Wait.class, ModelCommands.Defaults.class})
final class ModelCommands {
    @Command(name = "list", description = "List registered models and models being built.")
    static final class ListModels implements Callable<Integer> {
        @Mixin
        RegistryOptions conn;

        @Option(names = "--json", description = "Print {models, builds} as the registry's JSON.")
        boolean json;

        @Override
        public Integer call() {
            RegistryClient c = conn.client();
            JsonNode models = c.get("/api/models");
            JsonNode builds = c.get("/api/models/builds");
            Out out = GovernanceCli.out();
            if (json) {
                var doc = RegistryClient.json().createObjectNode();
                doc.set("models", models);
                doc.set("builds", builds);
                out.json(doc);
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode m : models) {
                rows.add(List.of(Out.text(m, "id"), Out.text(m, "name"), Out.text(m, "status"), Out.text(m, "createdAt")));
            }
            for (JsonNode b : builds) {
                if (!"READY".equals(b.path("status").asText())) {
                    rows.add(List.of("-", Out.text(b, "name"), "BUILD " + Out.text(b, "status") + " "
                            + b.path("percent").asInt() + "%", Out.text(b, "startedAt")));
                }
            }
            out.table(List.of("ID", "NAME", "STATUS", "SINCE"), rows);
            return 0;
        }
    }

    @Command(name = "wait", description = {"Wait until model NAME is registered with its statistics, showing the",
            "build's progress (./hookline up builds its default model on first start). Patient with a",
            "registry that is still starting: waits for --token-file to appear and for the registry to answer."})
    static final class Wait implements Callable<Integer> {
        @Mixin
        RegistryOptions conn;

        @Parameters(index = "0", paramLabel = "NAME", description = "Model name, e.g. tiny-world.")
        String name;

        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "900", description = "Give up after this long.")
        long timeoutSeconds;

        @Option(names = "--interval", paramLabel = "SECONDS", defaultValue = "1", description = "Polling interval.")
        double interval;

        @Override
        public Integer call() throws InterruptedException {
            if (timeoutSeconds < 0 || interval <= 0) {
                throw CliException.usage("--timeout must be >= 0 and --interval > 0");
            }
            Out out = GovernanceCli.out();
            Progress bar = Progress.onStderr(out.err());
            long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
            // `./hookline up` writes its admin token once the registry is built and starting.
            while (conn.tokenFile != null && !java.nio.file.Files.isRegularFile(conn.tokenFile)) {
                bar.show(0, "waiting for the registry to start (" + conn.tokenFile + ")");
                if (System.nanoTime() > deadline) {
                    bar.done();
                    throw CliException.failed("no " + conn.tokenFile + " after " + timeoutSeconds + " s");
                }
                Thread.sleep((long) (interval * 1000));
            }
            RegistryClient c = conn.client();
            while (true) {
                JsonNode build = null;
                try {
                    for (JsonNode b : c.get("/api/models/builds")) {
                        if (b.path("name").asText().equals(name)) {
                            build = b;
                        }
                    }
                    JsonNode model = null;
                    for (JsonNode m : c.get("/api/models")) {
                        if (m.path("name").asText().equals(name)) {
                            model = m;
                        }
                    }
                    String buildStatus = build == null ? null : build.path("status").asText();
                    if ("FAILED".equals(buildStatus)) {
                        bar.done();
                        throw CliException.failed("the build of model " + name + " failed: "
                                + build.path("message").asText("(no message)"));
                    }
                    boolean ready = model != null && "STATS_READY".equals(model.path("status").asText())
                            && (build == null || "READY".equals(buildStatus));
                    if (ready) {
                        bar.done();
                        out.line(model.path("id").asText());
                        out.note("model " + name + " is ready (id " + model.path("id").asText() + ")");
                        return 0;
                    }
                    if (build != null) {
                        bar.show(build.path("percent").asInt(), "building " + name + ": " + buildStatus
                                + (build.hasNonNull("phase") ? " " + build.path("phase").asText() : ""));
                    } else {
                        bar.show(0, model == null ? "waiting for model " + name + " (no build reported yet)"
                                : "model " + name + " registered, waiting for its statistics");
                    }
                } catch (RegistryException e) {
                    if (!e.isTransient()) {
                        throw e;
                    }
                    bar.show(0, "waiting for the registry at " + c.baseUrl() + " to answer");
                }
                if (System.nanoTime() > deadline) {
                    bar.done();
                    throw CliException.failed("model " + name + " not ready after " + timeoutSeconds + " s");
                }
                Thread.sleep((long) (interval * 1000));
            }
        }
    }

    @Command(name = "defaults", description = {"Show or set model MODEL's edit defaults for METHOD: hyperparameters a batch",
            "on this model takes where it names none, e.g. the threshold chosen on the model's own dev",
            "stream (`hookline bench --sweep-thresholds` on your dev edits). Each batch records the",
            "defaults it was submitted under; a continued branch keeps its parent's layers and threshold.",
            "Setting needs an admin token. Without KEY=VALUE and --clear it shows every method's defaults.",
            "Example: hookline model defaults demo-d256x codebook-nearest alpha0=0.2"})
    static final class Defaults implements Callable<Integer> {
        @Mixin
        RegistryOptions conn;

        @Parameters(index = "0", paramLabel = "MODEL", description = "Model name or id.")
        String model;

        @Parameters(index = "1", arity = "0..1", paramLabel = "METHOD", description = "Editing method, e.g. codebook-nearest.")
        String method;

        @Parameters(index = "2..*", paramLabel = "KEY=VALUE", description = {"Hyperparameters (replace the method's defaults):",
                "numbers, or layers=1,2. Keys: layers, lambda, alpha0, scopeLambda, valueSteps,",
                "learningRate, clamp, klFactor, weightDecay, contextVariants, stopLoss."})
        List<String> settings = new ArrayList<>();

        @Option(names = "--clear", description = "Remove METHOD's defaults.")
        boolean clear;

        @Option(names = "--json", description = "Print the model's edit defaults as JSON.")
        boolean json;

        @Override
        public Integer call() {
            RegistryClient c = conn.client();
            JsonNode m = Lookups.model(c, model);
            if (clear && !settings.isEmpty()) {
                throw CliException.usage("give KEY=VALUE settings or --clear, not both");
            }
            if ((clear || !settings.isEmpty()) && method == null) {
                throw CliException.usage("name the METHOD whose defaults to set");
            }
            if (clear || !settings.isEmpty()) {
                var hp = RegistryClient.json().createObjectNode();
                for (String kv : settings) {
                    int eq = kv.indexOf('=');
                    if (eq <= 0 || eq == kv.length() - 1) {
                        throw CliException.usage("expected KEY=VALUE, got '" + kv + "'");
                    }
                    String k = kv.substring(0, eq).trim();
                    String v = kv.substring(eq + 1).trim();
                    try {
                        dev.hookline.client.HyperparameterValue.put(hp, k, v);
                    } catch (NumberFormatException e) {
                        throw CliException.usage("the value of " + k + " must be a number"
                                + (k.equals("layers") ? "s separated by commas" : "") + ", got '" + v + "'");
                    }
                }
                var body = RegistryClient.json().createObjectNode();
                body.put("method", method);
                body.set("hyperparameters", hp);
                m = c.put("/api/models/" + m.path("id").asLong() + "/edit-defaults", body);
            }
            JsonNode defaults = m.path("editDefaults");
            Out out = GovernanceCli.out();
            if (json) {
                out.json(method == null ? defaults : defaults.path(method).isObject() ? defaults.path(method)
                        : RegistryClient.json().createObjectNode());
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            defaults.fields().forEachRemaining(e -> {
                if (method == null || method.equals(e.getKey())) {
                    e.getValue().fields().forEachRemaining(h -> rows.add(List.of(e.getKey(), h.getKey(),
                            h.getValue().toString())));
                }
            });
            if (rows.isEmpty()) {
                out.note("model " + m.path("name").asText() + " has no edit defaults"
                        + (method == null ? "" : " for " + method) + ": batches take the method's own");
                return 0;
            }
            out.table(List.of("METHOD", "HYPERPARAMETER", "DEFAULT"), rows);
            return 0;
        }
    }
}
