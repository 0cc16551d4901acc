/*
 * `hookline node list` (docs/API.md: /api/nodes): which serving nodes run what now.
 */
package dev.hookline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.RegistryClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Serving node commands. */
@Command(name = "node", description = "Serving nodes.", subcommands = NodeCommands.ListNodes.class)
final class NodeCommands {
    @Command(name = "list", description = "Serving nodes, what they run and their status.")
    static final class ListNodes implements Callable<Integer> {
        @Mixin
        RegistryOptions conn;

        @Option(names = "--model", paramLabel = "NAME", description = "Only this model's nodes (name or id). Default: all.")
        String model;

        @Option(names = "--json", description = "Print the registry's JSON.")
        boolean json;

        @Override
        public Integer call() {
            RegistryClient c = conn.client();
            String q = model == null ? "/api/nodes" : "/api/nodes?modelId=" + Lookups.model(c, model).path("id").asLong();
            JsonNode all = c.get(q);
            Out out = GovernanceCli.out();
            if (json) {
                out.json(all);
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode n : all) {
                rows.add(List.of(Out.text(n, "id"), Out.text(n, "name"), Out.text(n, "modelId"), Out.text(n, "channel"),
                        n.hasNonNull("loadedVersionId") ? "v" + n.get("loadedVersionId").asText() : "-",
                        Out.text(n, "status"), Out.text(n, "lastSeenAt"), Out.text(n, "address"), Out.text(n, "message")));
            }
            out.table(List.of("ID", "NAME", "MODEL", "CHANNEL", "RUNS", "STATUS", "LAST SEEN", "ADDRESS", "MESSAGE"), rows);
            return 0;
        }
    }
}
