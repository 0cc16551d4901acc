/*
 * The audit page of the console: the hash-chained audit log (GET /api/audit) newest first,
 * filtered by actor, action and entity, under the chain verification status
 * (GET /api/audit/verify).
 */
package dev.hookline.console.pages;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.RegistryClient;
import dev.hookline.client.RegistryException;
import dev.hookline.console.session.ConsolePage;
import dev.hookline.console.session.ConsoleSession;
import dev.hookline.console.session.ConsoleSessions;
import dev.hookline.console.view.Views.AuditRow;
import dev.hookline.console.view.Views.ChainStatus;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code /audit}. */
@Path("/audit")
@ConsolePage
@Produces(MediaType.TEXT_HTML)
public class AuditPage {

    /** Events fetched per API call (the API's maximum page). */
    static final int WINDOW = 1000;
    /** Matches shown at most. */
    static final int SHOWN = 200;
    /** Events scanned at most per page view, newest first. */
    static final int SCAN = 20_000;

    @Inject
    Console console;

    @GET
    public TemplateInstance audit(@CookieParam(ConsoleSessions.COOKIE) String cookie, @QueryParam("actor") String actor,
                                  @QueryParam("action") String action, @QueryParam("entity") String entity) {
        ConsoleSession s = console.require(cookie, "/audit");
        RegistryClient api = s.registry();
        String a = Console.field(actor);
        String ac = Console.field(action);
        String en = Console.field(entity);
        ChainStatus chain;
        Long lastSeq = null;
        try {
            JsonNode v = api.get("/api/audit/verify");
            lastSeq = v.path("lastSeq").isIntegralNumber() ? v.path("lastSeq").asLong() : 0L;
            chain = v.path("ok").asBoolean()
                    ? new ChainStatus(true, true, "Chain verified: " + v.path("checked").asLong() + " events, hashes intact.")
                    : new ChainStatus(true, false, "Chain BROKEN at seq " + v.path("brokenAtSeq").asText()
                    + " (event " + v.path("brokenEventId").asText() + "): " + v.path("reason").asText());
        } catch (RegistryException e) {
            if (e.status() != 403) {
                throw e;
            }
            chain = new ChainStatus(false, false, "Chain verification is not available to your roles.");
        }
        List<AuditRow> rows = new ArrayList<>();
        boolean canList = lastSeq != null;
        long scanned = 0;
        if (lastSeq != null) {
            try {
                long after = Math.max(0, lastSeq - WINDOW);
                long upTo = lastSeq;
                while (rows.size() < SHOWN && scanned < SCAN) {
                    List<JsonNode> page = new ArrayList<>();
                    api.get("/api/audit?afterSeq=" + after + "&limit=" + WINDOW).forEach(page::add);
                    for (int i = page.size() - 1; i >= 0 && rows.size() < SHOWN; i--) {
                        JsonNode e = page.get(i);
                        if (e.path("seq").asLong() > upTo) {
                            continue;
                        }
                        scanned++;
                        if (matches(e, a, ac, en)) {
                            rows.add(AuditRow.of(e));
                        }
                    }
                    if (after == 0) {
                        break;
                    }
                    upTo = after;
                    after = Math.max(0, after - WINDOW);
                }
            } catch (RegistryException e) {
                if (e.status() != 403) {
                    throw e;
                }
                canList = false;
            }
        }
        if (!canList) {
            // roles that may not list the log (RELEASER, SUBMITTER, ...) still read their own events
            api.get("/api/audit/mine?limit=" + SHOWN).forEach(e -> {
                if (matches(e, a, ac, en)) {
                    rows.add(AuditRow.of(e));
                }
            });
            String own = rows.size() + " of your own events shown, newest first";
            return Templates.audit(console.page(s, "Audit log", "audit"), rows, chain, a == null ? "" : a,
                    ac == null ? "" : ac, en == null ? "" : en, own, true);
        }
        String scannedText = canList ? rows.size() + " shown, newest first, of " + scanned + " events searched" : "";
        return Templates.audit(console.page(s, "Audit log", "audit"), rows, chain, a == null ? "" : a,
                ac == null ? "" : ac, en == null ? "" : en, scannedText, canList);
    }

    /** Case-insensitive "contains" on actor, action and "entityType entityId" plus the payload's names. */
    static boolean matches(JsonNode e, String actor, String action, String entity) {
        return contains(e.path("actor").asText(), actor) && contains(e.path("action").asText(), action)
                && contains(e.path("entityType").asText() + " " + e.path("entityId").asText() + " "
                + names(e.path("payload")), entity);
    }

    /**
     * The names an event's payload carries (channel, branch, model name, subject...), so that the
     * entity filter takes names and not only internal ids.
     */
    static String names(JsonNode payload) {
        StringBuilder out = new StringBuilder();
        payload.fields().forEachRemaining(f -> {
            if (f.getValue().isValueNode()) {
                out.append(f.getKey()).append('=').append(f.getValue().asText()).append(' ');
            }
        });
        return out.toString();
    }

    private static boolean contains(String value, String wanted) {
        return wanted == null || value.toLowerCase(Locale.ROOT).contains(wanted.toLowerCase(Locale.ROOT));
    }
}
