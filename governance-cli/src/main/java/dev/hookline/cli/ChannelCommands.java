/*
 * `hookline channel pin|rollback|history|list` (docs/API.md, "Channels"): moves carry the
 * version the CLI just read as expectedVersionId, so a concurrent move is a 409, never lost.
 */
package dev.hookline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.client.RegistryClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Release channel commands. */
@Command(name = "channel", description = "Release channels (prod, canary, ...): pin, roll back, history.",
        subcommands = {ChannelCommands.Pin.class, ChannelCommands.Rollback.class, ChannelCommands.History.class,
                ChannelCommands.ListChannels.class})
final class ChannelCommands {
    static String path(long modelId, String channel) {
        return "/api/models/" + modelId + "/channels/" + RegistryClient.q(channel);
    }

    @Command(name = "pin", description = "Point CHANNEL at a VALIDATED version (RELEASER); creates the channel if needed.")
    static final class Pin implements Callable<Integer> {
        @Mixin
        RegistryOptions conn;

        @Parameters(index = "0", paramLabel = "CHANNEL", description = "Channel name, e.g. prod.")
        String channel;

        @Parameters(index = "1", paramLabel = "VERSION", description = "Version id or bBATCH.")
        String ref;

        @Option(names = "--model", paramLabel = "NAME", description = "Model name or id. Default: the only registered model.")
        String model;

        @Option(names = "--reason", paramLabel = "TEXT", defaultValue = "released with hookline channel pin",
                description = "Why (audited).")
        String reason;

        @Override
        public Integer call() {
            RegistryClient c = conn.client();
            JsonNode m = Lookups.model(c, model);
            long modelId = m.path("id").asLong();
            long versionId = Lookups.versionId(c, ref, false);
            Optional<JsonNode> current = c.find(path(modelId, channel));
            ObjectNode body = RegistryClient.json().createObjectNode().put("versionId", versionId).put("reason", reason);
            current.ifPresent(ch -> body.put("expectedVersionId", ch.path("versionId").asLong()));
            JsonNode ch = c.put(path(modelId, channel), body);
            GovernanceCli.out().note(m.path("name").asText() + "/" + channel + ": "
                    + current.map(x -> "v" + x.path("versionId").asText()).orElse("(new)") + " -> v"
                    + ch.path("versionId").asText() + " (#" + ch.path("versionNumber").asText() + ", "
                    + ch.path("bundleDigest").asText() + ")");
            return 0;
        }
    }

    @Command(name = "rollback", description = {"Move CHANNEL back (RELEASER): to --to, else to the version it had before",
            "its last move."})
    static final class Rollback implements Callable<Integer> {
        @Mixin
        RegistryOptions conn;

        @Parameters(index = "0", paramLabel = "CHANNEL", description = "Channel name, e.g. prod.")
        String channel;

        @Option(names = "--to", paramLabel = "VERSION", description = "Version id or bBATCH. Default: the previous version.")
        String to;

        @Option(names = "--model", paramLabel = "NAME", description = "Model name or id. Default: the only registered model.")
        String model;

        @Option(names = "--reason", paramLabel = "TEXT", defaultValue = "rolled back with hookline channel rollback",
                description = "Why (audited).")
        String reason;

        @Override
        public Integer call() {
            RegistryClient c = conn.client();
            JsonNode m = Lookups.model(c, model);
            long modelId = m.path("id").asLong();
            JsonNode current = Lookups.get(c, path(modelId, channel), "channel " + channel + " of model "
                    + m.path("name").asText());
            ObjectNode body = RegistryClient.json().createObjectNode().put("reason", reason)
                    .put("expectedVersionId", current.path("versionId").asLong());
            if (to != null) {
                body.put("toVersionId", Lookups.versionId(c, to, false));
            }
            JsonNode ch = c.post(path(modelId, channel) + "/rollback", body);
            GovernanceCli.out().note(m.path("name").asText() + "/" + channel + ": v" + current.path("versionId").asText()
                    + " -> v" + ch.path("versionId").asText() + " (rolled back)");
            return 0;
        }
    }

    @Command(name = "history", description = "A channel's moves, newest first.")
    static final class History implements Callable<Integer> {
        @Mixin
        RegistryOptions conn;

        @Parameters(index = "0", paramLabel = "CHANNEL", description = "Channel name, e.g. prod.")
        String channel;

        @Option(names = "--model", paramLabel = "NAME", description = "Model name or id. Default: the only registered model.")
        String model;

        @Option(names = "--json", description = "Print the registry's JSON.")
        boolean json;

        @Override
        public Integer call() {
            RegistryClient c = conn.client();
            JsonNode m = Lookups.model(c, model);
            JsonNode ch = Lookups.get(c, path(m.path("id").asLong(), channel), "channel " + channel + " of model "
                    + m.path("name").asText());
            Out out = GovernanceCli.out();
            if (json) {
                out.json(ch);
                return 0;
            }
            out.line(m.path("name").asText() + "/" + channel + " -> v" + ch.path("versionId").asText() + " (#"
                    + ch.path("versionNumber").asText() + ") since " + Out.text(ch, "updatedAt"));
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode h : ch.path("history")) {
                rows.add(List.of(Out.text(h, "movedAt"), Out.text(h, "kind"),
                        (h.hasNonNull("fromVersionId") ? "v" + h.get("fromVersionId").asText() : "-") + " -> v"
                                + h.path("toVersionId").asText(), Out.text(h, "actor"), Out.text(h, "reason")));
            }
            out.table(List.of("WHEN", "KIND", "MOVE", "ACTOR", "REASON"), rows);
            return 0;
        }
    }

    @Command(name = "list", description = "A model's channels and what they point at.")
    static final class ListChannels implements Callable<Integer> {
        @Mixin
        RegistryOptions conn;

        @Option(names = "--model", paramLabel = "NAME", description = "Model name or id. Default: the only registered model.")
        String model;

        @Option(names = "--json", description = "Print the registry's JSON.")
        boolean json;

        @Override
        public Integer call() {
            RegistryClient c = conn.client();
            JsonNode m = Lookups.model(c, model);
            JsonNode all = c.get("/api/models/" + m.path("id").asLong() + "/channels");
            Out out = GovernanceCli.out();
            if (json) {
                out.json(all);
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode ch : all) {
                rows.add(List.of(Out.text(ch, "name"), "v" + Out.text(ch, "versionId"), "#" + Out.text(ch, "versionNumber"),
                        Out.text(ch, "updatedAt"), Out.text(ch, "updatedBy")));
            }
            out.table(List.of("CHANNEL", "VERSION", "NUMBER", "SINCE", "BY"), rows);
            return 0;
        }
    }
}
