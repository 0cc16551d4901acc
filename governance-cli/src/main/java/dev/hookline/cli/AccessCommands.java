/*
 * `hookline login`, `hookline whoami` and `hookline token create|list|revoke` (docs/API.md:
 * /api/me, /api/tokens).
 */
package dev.hookline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.client.RegistryClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Sign-in and token commands. */
final class AccessCommands {
    private static final Set<String> ROLES = Set.of("SUBMITTER", "REVIEWER", "RELEASER", "WORKER", "SERVING", "ADMIN");

    private AccessCommands() {
    }

    @Command(name = "login", description = {"Check a token against the registry and save URL + token for later commands",
            "(file: HOOKLINE_CONFIG, else $XDG_CONFIG_HOME/hookline/cli.json, else ~/.config/hookline/cli.json; mode 600)."})
    static final class Login implements Callable<Integer> {
        @Mixin
        RegistryOptions conn;

        @Override
        public Integer call() {
            Out out = GovernanceCli.out();
            String url = conn.registryUrl();
            RegistryClient c = conn.client();
            JsonNode me = c.me();
            Path file = CliConfig.path(RegistryOptions.env);
            new CliConfig(url, conn.tokenValue()).write(file);
            out.note("logged in to " + url + " as " + me.path("principal").asText() + " " + me.path("roles")
                    + "; saved in " + file);
            return 0;
        }
    }

    @Command(name = "whoami", description = "Show the principal and roles of the token in use (GET /api/me).")
    static final class WhoAmI implements Callable<Integer> {
        @Mixin
        RegistryOptions conn;

        @Option(names = "--json", description = "Print the registry's JSON.")
        boolean json;

        @Override
        public Integer call() {
            Out out = GovernanceCli.out();
            JsonNode me = conn.client().me();
            if (json) {
                out.json(me);
            } else {
                List<String> roles = new ArrayList<>();
                me.path("roles").forEach(r -> roles.add(r.asText()));
                out.line(me.path("principal").asText() + " " + String.join(",", roles) + " @ " + conn.registryUrl());
            }
            return 0;
        }
    }

    @Command(name = "token", description = "Create, list and revoke API tokens (ADMIN).",
            subcommands = {Create.class, ListTokens.class, Revoke.class})
    static final class Tokens {
    }

    @Command(name = "create", description = {"Create a token; prints only its value on stdout (shown once), e.g.",
            "  ALICE=$(hookline token create alice --role SUBMITTER)"})
    static final class Create implements Callable<Integer> {
        @Mixin
        RegistryOptions conn;

        @Parameters(index = "0", paramLabel = "PRINCIPAL", description = "Who the token is for (e.g. alice).")
        String principal;

        @Option(names = {"-r", "--role"}, required = true, split = ",", paramLabel = "ROLE",
                description = "Role(s), repeatable or comma-separated: SUBMITTER, REVIEWER, RELEASER, WORKER, SERVING, ADMIN.")
        List<String> roles;

        @Option(names = "--json", description = "Print the registry's JSON (id, principal, roles, token).")
        boolean json;

        @Override
        public Integer call() {
            ArrayNode r = RegistryClient.json().createArrayNode();
            for (String role : roles) {
                String u = role.strip().toUpperCase(Locale.ROOT);
                if (!ROLES.contains(u)) {
                    throw CliException.usage("--role: unknown role '" + role + "'; one of " + ROLES);
                }
                r.add(u);
            }
            ObjectNode body = RegistryClient.json().createObjectNode().put("principal", principal);
            body.set("roles", r);
            JsonNode t = conn.client().post("/api/tokens", body);
            Out out = GovernanceCli.out();
            if (json) {
                out.json(t);
            } else {
                out.line(t.path("token").asText());
                out.note("created token " + t.path("id").asText() + " for " + t.path("principal").asText() + " "
                        + t.path("roles") + " (the value is shown only now)");
            }
            return 0;
        }
    }

    @Command(name = "list", description = "List tokens (never their values).")
    static final class ListTokens implements Callable<Integer> {
        @Mixin
        RegistryOptions conn;

        @Option(names = "--json", description = "Print the registry's JSON.")
        boolean json;

        @Override
        public Integer call() {
            JsonNode all = conn.client().get("/api/tokens");
            Out out = GovernanceCli.out();
            if (json) {
                out.json(all);
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode t : all) {
                rows.add(List.of(Out.text(t, "id"), Out.text(t, "principal"), t.path("roles").toString(),
                        Out.text(t, "createdAt"), Out.text(t, "revokedAt")));
            }
            out.table(List.of("ID", "PRINCIPAL", "ROLES", "CREATED", "REVOKED"), rows);
            return 0;
        }
    }

    @Command(name = "revoke", description = "Revoke a token by id.")
    static final class Revoke implements Callable<Integer> {
        @Mixin
        RegistryOptions conn;

        @Parameters(index = "0", paramLabel = "ID", description = "Token id (hookline token list).")
        String id;

        @Override
        public Integer call() {
            long tokenId = Lookups.id("token id", id);
            conn.client().delete("/api/tokens/" + tokenId);
            GovernanceCli.out().note("revoked token " + tokenId);
            return 0;
        }
    }
}
