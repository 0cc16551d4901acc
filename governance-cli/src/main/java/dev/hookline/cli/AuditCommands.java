/*
 * `hookline audit verify|list` (docs/API.md, "Audit"): the hash chain recomputed by the registry.
 */
package dev.hookline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Audit log commands. */
@Command(name = "audit", description = "The append-only, hash-chained audit log.",
        subcommands = {AuditCommands.Verify.class, AuditCommands.ListEvents.class})
final class AuditCommands {
    @Command(name = "verify", description = "Recompute the audit chain (ADMIN, REVIEWER, RELEASER); exits 1 if it is broken.")
    static final class Verify implements Callable<Integer> {
        @Mixin
        RegistryOptions conn;

        @Option(names = "--json", description = "Print the registry's JSON.")
        boolean json;

        @Override
        public Integer call() {
            JsonNode r = conn.client().get("/api/audit/verify");
            Out out = GovernanceCli.out();
            boolean ok = r.path("ok").asBoolean(false);
            if (json) {
                out.json(r);
            } else if (ok) {
                out.line("audit chain ok: " + r.path("checked").asText() + " events checked, last seq "
                        + r.path("lastSeq").asText());
            } else {
                out.line("audit chain BROKEN at seq " + Out.text(r, "brokenAtSeq") + " (event " + Out.text(r, "brokenEventId")
                        + "): " + Out.text(r, "reason"));
            }
            return ok ? 0 : CliException.FAILED;
        }
    }

    @Command(name = "list", description = "Audit events in sequence order (ADMIN, REVIEWER).")
    static final class ListEvents implements Callable<Integer> {
        @Mixin
        RegistryOptions conn;

        @Option(names = "--after", paramLabel = "SEQ", defaultValue = "0", description = "Only events after this seq.")
        long afterSeq;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "At most N events.")
        int limit;

        @Option(names = "--json", description = "Print the registry's JSON.")
        boolean json;

        @Override
        public Integer call() {
            JsonNode all = conn.client().get("/api/audit?afterSeq=" + afterSeq + "&limit=" + limit);
            Out out = GovernanceCli.out();
            if (json) {
                out.json(all);
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode e : all) {
                rows.add(List.of(Out.text(e, "seq"), Out.text(e, "at"), Out.text(e, "actor"), Out.text(e, "action"),
                        Out.text(e, "entityType") + " " + Out.text(e, "entityId")));
            }
            out.table(List.of("SEQ", "AT", "ACTOR", "ACTION", "ENTITY"), rows);
            return 0;
        }
    }
}
