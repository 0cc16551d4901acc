/*
 * The console over plain HTTP, against the real registry (embedded PostgreSQL + S3Proxy via
 * HooklineTestResources): anonymous redirects, sign-in/out, cookie flags, CSRF refusals, the
 * four-eyes refusal shown from the API, security headers, static assets, missing metrics.
 */
package dev.hookline.registry.console;

import dev.hookline.registry.Fixtures;
import dev.hookline.registry.HooklineTestResources;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.hookline.registry.Fixtures.as;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@QuarkusTestResource(HooklineTestResources.class)
class ConsoleHttpTest {

    static String alice;
    static String alicePrincipal;
    static String bob;
    static String worker;
    static long model;
    static long versionOld;
    static long versionFull;

    /**
     * Two computed versions produced as a worker produces them (lease, upload blobs, complete):
     * v1 with the old three-number metrics, v2 with the full SHARED-CONTRACTS schema. Alice
     * submitted both (SUBMITTER + REVIEWER), so four-eyes forbids her to review them. Made once,
     * before the first test (RestAssured knows the test port only inside a test).
     */
    @BeforeEach
    void data() {
        if (model != 0) {
            return;
        }
        alicePrincipal = Fixtures.unique("alice");
        alice = Fixtures.token(alicePrincipal, "SUBMITTER", "REVIEWER");
        bob = Fixtures.token(Fixtures.unique("bob"), "REVIEWER");
        worker = Fixtures.token(Fixtures.unique("worker"), "WORKER");
        model = Fixtures.model(Fixtures.unique("console-http"));
        Fixtures.batch(alice, model, "main", 2);
        versionOld = ConsoleFixtures.complete(worker, ConsoleFixtures.lease(worker, model),
                ConsoleFixtures.alpha(2.2, 1.9, 2.2, 2.05), ConsoleFixtures.oldMetrics());
        Fixtures.batch(alice, model, "main", 3);
        versionFull = ConsoleFixtures.complete(worker, ConsoleFixtures.lease(worker, model),
                ConsoleFixtures.alpha(1.9, 1.85, 2.05, 2.0), ConsoleFixtures.fullMetrics(5, 3));
    }

    @Test
    void anonymousPagesRedirectToSignIn() {
        for (String path : List.of("/", "/models", "/batches", "/review", "/audit", "/versions/" + versionFull,
                "/models/" + model + "/charts")) {
            Response r = given().redirects().follow(false).get(path);
            assertEquals(303, r.statusCode(), path);
            String location = r.getHeader("Location");
            assertTrue(location.contains("/signin?next="), path + " -> " + location);
            assertTrue(location.endsWith(java.net.URLEncoder.encode(path, java.nio.charset.StandardCharsets.UTF_8)),
                    path + " -> " + location);
        }
        // an htmx poll without a session asks the browser to navigate instead of swapping a page in
        Response poll = given().redirects().follow(false).header("HX-Request", "true").get("/batches/rows");
        assertEquals(200, poll.statusCode());
        assertTrue(poll.getHeader("HX-Redirect").startsWith("/signin?next="));
        // a made-up cookie is no session
        Response forged = given().redirects().follow(false).cookie(ConsoleHttp.COOKIE, "not-a-session").get("/models");
        assertEquals(303, forged.statusCode());
    }

    @Test
    void signInSetsAStrictHttpOnlySecureCookieAndSignOutEndsTheSession() {
        ConsoleHttp c = new ConsoleHttp();
        Response form = c.openSignIn();
        String anonymousCookie = c.cookie;
        String setCookie = form.getHeader("Set-Cookie");
        assertCookieFlags(setCookie);
        assertNotNull(c.csrf);

        Response signedIn = c.postForm("/signin", Map.of("token", bob, "next", "/review"));
        assertEquals(303, signedIn.statusCode());
        assertTrue(signedIn.getHeader("Location").endsWith("/review"));
        String sessionCookie = signedIn.getHeader("Set-Cookie");
        assertCookieFlags(sessionCookie);
        c.cookie = ConsoleHttp.cookieValue(sessionCookie);
        assertNotEquals(anonymousCookie, c.cookie, "the session id must change at sign-in");
        assertFalse(sessionCookie.contains(bob), "the API token must never reach the browser");
        assertTrue(c.cookie.length() >= 43, "256-bit session id");

        Response review = c.get("/review");
        assertEquals(200, review.statusCode());
        assertFalse(review.asString().contains(bob), "the API token must never reach the browser");
        assertTrue(review.asString().contains("Review queue"));
        // the anonymous id planted before sign-in is worthless now (no session fixation)
        assertEquals(303, given().redirects().follow(false).cookie(ConsoleHttp.COOKIE, anonymousCookie)
                .get("/models").statusCode());

        Response out = c.postForm("/signout", Map.of());
        assertEquals(303, out.statusCode());
        assertTrue(out.getHeader("Location").endsWith("/signin"));
        String cleared = out.getHeader("Set-Cookie");
        assertTrue(cleared.contains("Max-Age=0"), cleared);
        // the old cookie no longer names a session on the server
        assertEquals(303, c.request().get("/models").statusCode());
    }

    @Test
    void aTokenTheRegistryRefusesDoesNotSignIn() {
        ConsoleHttp c = new ConsoleHttp();
        c.openSignIn();
        Response r = c.postForm("/signin", Map.of("token", "hl_no_such_token_at_all", "next", "/models"));
        assertEquals(401, r.statusCode());
        assertTrue(r.asString().contains("did not accept this token"), r.asString());
        assertEquals(303, c.request().get("/models").statusCode());
        Response blank = c.postForm("/signin", Map.of("token", "  ", "next", "/models"));
        assertEquals(400, blank.statusCode());
    }

    @Test
    void formsWithoutTheSessionsCsrfTokenAreRefusedAndChangeNothing() {
        // sign-in form posted without the token of the form this browser was given (login CSRF)
        ConsoleHttp anonymous = new ConsoleHttp();
        anonymous.openSignIn();
        Response login = anonymous.postRaw("/signin", Map.of("token", bob, "next", "/models"));
        assertEquals(403, login.statusCode());
        assertEquals(null, login.getHeader("Location"));

        ConsoleHttp b = ConsoleHttp.signIn(bob);
        Response missing = b.postRaw("/versions/" + versionFull + "/validate", Map.of("comment", "lgtm"));
        assertEquals(403, missing.statusCode());
        assertTrue(missing.asString().contains("form check failed"), missing.asString());
        Response wrong = b.postRaw("/versions/" + versionFull + "/validate",
                Map.of("comment", "lgtm", "csrf", "A".repeat(43)));
        assertEquals(403, wrong.statusCode());
        // a token of another session does not work either
        ConsoleHttp other = ConsoleHttp.signIn(bob);
        Response crossed = b.postRaw("/versions/" + versionFull + "/validate",
                Map.of("comment", "lgtm", "csrf", other.csrf));
        assertEquals(403, crossed.statusCode());
        Response signOut = b.postRaw("/signout", Map.of());
        assertEquals(403, signOut.statusCode());
        assertEquals(200, b.get("/models").statusCode(), "a refused sign-out leaves the session alone");
        as(bob).get("/api/versions/" + versionFull).then().statusCode(200)
                .body("state", org.hamcrest.Matchers.equalTo("TEMPORARY"));
    }

    @Test
    void theSubmitterSeesNoApproveButtonAndAForgedPostShowsTheApisFourEyesRefusal() {
        ConsoleHttp a = ConsoleHttp.signIn(alice);
        Response page = a.get("/versions/" + versionFull);
        assertEquals(200, page.statusCode());
        String html = page.asString();
        assertFalse(html.contains("id=\"approve\""), "no approve button for the submitter");
        assertFalse(html.contains("id=\"reject\""), "no reject button for the submitter");
        assertTrue(html.contains("four-eyes"));

        Response forged = a.postForm("/versions/" + versionFull + "/validate", Map.of("comment", "my own work is fine"));
        assertEquals(403, forged.statusCode());
        String body = forged.asString();
        assertTrue(body.contains("urn:hookline:problem:four-eyes"), body);
        assertTrue(body.contains("HTTP 403"), body);
        assertTrue(body.contains("<a href=\"/versions/" + versionFull + "\">Back to the page</a>"), body);
        as(bob).get("/api/versions/" + versionFull).then().statusCode(200)
                .body("state", org.hamcrest.Matchers.equalTo("TEMPORARY"))
                .body("reviewer", org.hamcrest.Matchers.nullValue());

        // another reviewer sees the buttons
        ConsoleHttp b = ConsoleHttp.signIn(bob);
        assertTrue(b.get("/versions/" + versionFull).asString().contains("id=\"approve\""));
    }

    @Test
    void theSubmitFormOffersTheRecommendedMethodAndSubmitsThroughTheApi() {
        ConsoleHttp a = ConsoleHttp.signIn(alice);
        String html = a.get("/batches").asString();
        assertTrue(html.contains("id=\"submit-form\""), "a submitter sees the form");
        assertTrue(html.contains("<option value=\"\" selected>the method of the branch (codebook-subject, recommended, "
                + "on a new branch)</option>"), html);
        assertTrue(html.contains("<option value=\"codebook-subject\" >codebook-subject (recommended: an edit"),
                html);
        assertTrue(html.contains("<option value=\"codebook-nearest\" >codebook-nearest (the same without the subject gate)"),
                html);
        assertFalse(html.contains("codebook-nearest (recommended"), "codebook-nearest is offered, not recommended");
        assertTrue(html.contains("coachhook (the paper"), html);
        assertFalse(ConsoleHttp.signIn(bob).get("/batches").asString().contains("id=\"submit-form\""),
                "a reviewer sees no form");
        long formModel = Fixtures.model(Fixtures.unique("console-form"));
        String edits = "[{\"subject\": \"Danielle Darrieux\", \"prompt\": \"The mother tongue of {} is\", "
                + "\"targetNew\": \"English\", \"relation\": \"P103\"}]";
        Response r = a.postForm("/batches", Map.of("modelId", String.valueOf(formModel), "method",
                "coachhook-span-relation", "branch", "form", "reason", "from the console form", "edits", edits));
        assertEquals(303, r.statusCode(), r.asString());
        String location = r.getHeader("Location");
        long id = Long.parseLong(location.substring(location.lastIndexOf('/') + 1));
        as(alice).get("/api/batches/" + id).then().statusCode(200)
                .body("method", org.hamcrest.Matchers.equalTo("coachhook-span-relation"))
                .body("editCount", org.hamcrest.Matchers.equalTo(1))
                .body("branch", org.hamcrest.Matchers.equalTo("form"))
                .body("reason", org.hamcrest.Matchers.equalTo("from the console form"));
        // The preselected choice names no method: the branch keeps its own.
        Response kept = a.postForm("/batches", Map.of("modelId", String.valueOf(formModel), "method", "",
                "branch", "form", "reason", "the branch's method", "edits", edits.replace("Danielle Darrieux", "Ada Lovelace")));
        assertEquals(303, kept.statusCode(), kept.asString());
        String keptAt = kept.getHeader("Location");
        as(alice).get("/api/batches/" + keptAt.substring(keptAt.lastIndexOf('/') + 1)).then().statusCode(200)
                .body("method", org.hamcrest.Matchers.equalTo("coachhook-span-relation"));
        int before = as(alice).get("/api/batches?modelId=" + formModel).then().extract().jsonPath().getList("$").size();
        Response bad = a.postForm("/batches", Map.of("modelId", String.valueOf(formModel), "reason", "x", "edits",
                "{not json"));
        assertEquals(400, bad.statusCode());
        assertTrue(bad.asString().contains("not JSON"), bad.asString());
        Response refused = a.postForm("/batches", Map.of("modelId", String.valueOf(formModel), "reason", "x", "edits",
                "[{\"subject\": \"X\", \"prompt\": \"no placeholder\", \"targetNew\": \"Y\"}]"));
        assertEquals(400, refused.statusCode());
        assertTrue(refused.asString().contains("edits[0].prompt"), refused.asString());
        assertEquals(before, as(alice).get("/api/batches?modelId=" + formModel).then().extract().jsonPath()
                .getList("$").size(), "refused forms submit nothing");
    }

    @Test
    void aReviewNeedsAComment() {
        ConsoleHttp b = ConsoleHttp.signIn(bob);
        b.get("/versions/" + versionOld);
        Response r = b.postForm("/versions/" + versionOld + "/reject", Map.of("comment", "   "));
        assertEquals(400, r.statusCode());
        assertTrue(r.asString().contains("Comment required"));
        as(bob).get("/api/versions/" + versionOld).then().body("state", org.hamcrest.Matchers.equalTo("TEMPORARY"));
    }

    @Test
    void theModelAndBatchPagesShowEditDefaults() {
        long m = Fixtures.model(Fixtures.unique("console-defaults"));
        ConsoleHttp b = ConsoleHttp.signIn(bob);
        assertTrue(b.get("/models/" + m).asString().contains("none: batches take each method's own"));
        Fixtures.as(HooklineTestResources.ADMIN_TOKEN).contentType(io.restassured.http.ContentType.JSON)
                .body(Map.of("method", "codebook-nearest", "hyperparameters", Map.of("alpha0", 0.2)))
                .put("/api/models/" + m + "/edit-defaults").then().statusCode(200);
        String page = b.get("/models/" + m).asString();
        assertTrue(page.contains("codebook-nearest: {&quot;alpha0&quot;:0.2}"), page);
        Map<String, Object> body = Fixtures.batchBody(m, "main", 1);
        body.put("method", "codebook-nearest");
        long batch = Fixtures.as(alice).contentType(io.restassured.http.ContentType.JSON).body(body).post("/api/batches")
                .then().statusCode(201).extract().<Number>path("id").longValue();
        String batchPage = b.get("/batches/" + batch).asString();
        assertTrue(batchPage.contains("<code class=\"model-defaults\">{&quot;alpha0&quot;:0.2}</code>"), batchPage);
        assertTrue(b.get("/batches/" + batch).statusCode() == 200);
    }

    @Test
    void missingMetricsOfOlderVersionsRenderAsDashes() {
        ConsoleHttp b = ConsoleHttp.signIn(bob);
        Response old = b.get("/versions/" + versionOld);
        assertEquals(200, old.statusCode());
        String html = old.asString();
        assertTrue(html.contains("data-metric=\"reliability\">0.900<"), "present metric shown");
        assertTrue(html.contains("data-metric=\"regression.reliability\">—<"), "absent metric shown as a dash");
        assertTrue(html.contains("no z-score histogram"));
        Response full = b.get("/versions/" + versionFull);
        String f = full.asString();
        assertTrue(f.contains("data-metric=\"regression.reliability\">0.960<"));
        assertTrue(f.contains("1.2345"), "deltaNorm of layer 0");
        // the diff between them: deltaNorm missing on the old side, alpha after 1.9 -> 1.85
        Response diff = b.get("/models/" + model + "/diff?from=" + versionOld + "&to=" + versionFull);
        assertEquals(200, diff.statusCode());
        String d = diff.asString();
        assertTrue(d.contains("<td>—</td><td>1.2345</td><td>—</td>"), "deltaNorm only on the new side");
        assertTrue(d.contains("<td>1.9000</td><td>1.8500</td><td>-0.0500</td>"), "alpha change of layer 0");
        assertTrue(d.contains("Facts added (3)"), "the three facts of the second batch");
        assertTrue(d.contains("<td class=\"relation\">P103</td>"), "a fact's relation label is shown");
        assertEquals(200, b.get("/models/" + model + "/charts").statusCode());
        assertEquals(200, b.get("/models/" + model).statusCode());
    }

    @Test
    void rejectAndChannelRefusalsShowTheApisProblems() {
        String rel = Fixtures.token(Fixtures.unique("rel"), "RELEASER");
        Fixtures.batch(alice, model, "side-" + System.nanoTime(), 1);
        long side = ConsoleFixtures.complete(worker, ConsoleFixtures.lease(worker, model),
                ConsoleFixtures.alpha(2.2, 2.1, 2.2, 2.1), ConsoleFixtures.fullMetrics(1, 1));
        ConsoleHttp r = ConsoleHttp.signIn(rel);
        r.get("/versions/" + side);
        // a TEMPORARY version cannot be pinned: the API's 422 is shown with its detail
        Response early = r.postForm("/models/" + model + "/channels",
                Map.of("channel", "canary", "versionId", String.valueOf(side), "reason", "too early", "confirm", "yes"));
        assertEquals(422, early.statusCode());
        assertTrue(early.asString().contains("HTTP 422"), early.asString());

        ConsoleHttp b = ConsoleHttp.signIn(bob);
        b.get("/versions/" + side);
        Response rejected = b.postForm("/versions/" + side + "/reject", Map.of("comment", "locality too low"));
        assertEquals(303, rejected.statusCode());
        assertTrue(b.get("/versions/" + side).asString().contains(" rejected.</p>"), "the flash on the version page");
        as(bob).get("/api/versions/" + side).then().body("state", org.hamcrest.Matchers.equalTo("REJECTED"))
                .body("reviewComment", org.hamcrest.Matchers.equalTo("locality too low"));
        // a second decision on the same version: the API's 409 is shown
        Response again = b.postForm("/versions/" + side + "/validate", Map.of("comment", "changed my mind"));
        assertEquals(409, again.statusCode());

        // a channel move from a stale page (expectedVersionId no longer current): the API's 409
        long validated = ConsoleFixtures.validatedVersion(alice, bob, worker, model);
        r.get("/versions/" + validated);
        Response pinned = r.postForm("/models/" + model + "/channels",
                Map.of("channel", "canary", "versionId", String.valueOf(validated), "reason", "first", "confirm", "yes"));
        assertEquals(303, pinned.statusCode());
        Response stale = r.postForm("/models/" + model + "/channels", Map.of("channel", "canary",
                "versionId", String.valueOf(validated), "expectedVersionId", String.valueOf(versionOld), "reason", "stale page",
                "confirm", "yes"));
        assertEquals(409, stale.statusCode());
        assertTrue(stale.asString().contains("expectedVersionId"), "the problem's field is listed");
        as(rel).get("/api/models/" + model + "/channels/canary").then()
                .body("versionId", org.hamcrest.Matchers.equalTo((int) validated))
                .body("history", org.hamcrest.Matchers.hasSize(1));
    }

    @Test
    void aRevokedTokenEndsTheConsoleSession() {
        String principal = Fixtures.unique("carol");
        Response created = as(HooklineTestResources.ADMIN_TOKEN).contentType(ContentType.JSON)
                .body(Map.of("principal", principal, "roles", List.of("REVIEWER"))).post("/api/tokens");
        created.then().statusCode(201);
        ConsoleHttp c = ConsoleHttp.signIn(created.path("token"));
        as(HooklineTestResources.ADMIN_TOKEN).delete("/api/tokens/" + created.<Number>path("id").longValue())
                .then().statusCode(org.hamcrest.Matchers.lessThan(300));
        Response r = c.get("/models");
        assertEquals(303, r.statusCode());
        assertTrue(r.getHeader("Location").contains("/signin"));
        assertEquals(303, c.get("/batches").statusCode(), "the session is gone, not just one page");
    }

    @Test
    void pagesCarrySecurityHeadersAndAssetsAreServed() {
        ConsoleHttp b = ConsoleHttp.signIn(bob);
        Response page = b.get("/models");
        assertTrue(page.getHeader("Content-Security-Policy").contains("script-src 'self'"));
        assertEquals("DENY", page.getHeader("X-Frame-Options"));
        assertEquals("no-store", page.getHeader("Cache-Control"));
        for (String asset : List.of("/webjars/htmx.org/2.0.4/dist/htmx.min.js", "/webjars/uplot/1.6.30/dist/uPlot.iife.min.js",
                "/webjars/uplot/1.6.30/dist/uPlot.min.css", "/console/console.css", "/console/console.js")) {
            Response r = given().get(asset);
            assertEquals(200, r.statusCode(), asset);
            assertTrue(r.asByteArray().length > 1000, asset);
            assertTrue(page.asString().contains("\"" + asset + "\""), "the layout names " + asset);
        }
        // the console's HTML pages stay out of the API description
        String openapi = given().get("/q/openapi").asString();
        assertTrue(openapi.contains("/api/versions/{id}/validate"), "the API is described");
        assertFalse(openapi.contains("/signin"), "console pages are not API operations");
        // the API itself is untouched by the console's filter
        as(bob).get("/api/me").then().statusCode(200).header("Content-Security-Policy", org.hamcrest.Matchers.nullValue());
    }

    private static void assertCookieFlags(String setCookie) {
        assertNotNull(setCookie);
        assertTrue(setCookie.startsWith(ConsoleHttp.COOKIE + "="), setCookie);
        assertTrue(setCookie.contains("HttpOnly"), setCookie);
        assertTrue(setCookie.contains("Secure"), setCookie);
        assertTrue(setCookie.contains("SameSite=Strict"), setCookie);
        assertTrue(setCookie.contains("Path=/"), setCookie);
    }
}
