/*
 * In-memory session store of the governance console (OWASP session management: random ids,
 * rotation at sign-in, idle timeout, server-side invalidation at sign-out).
 */
package dev.hookline.console.session;

import dev.hookline.client.RegistryClient;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Console sessions kept in this registry process. A restart signs everyone out (the user signs in
 * again with the same token); several registry replicas need sticky sessions for the console.
 */
@ApplicationScoped
public class ConsoleSessions {

    /** Name of the session cookie. */
    public static final String COOKIE = "hookline_console";

    private static final Logger LOG = Logger.getLogger(ConsoleSessions.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int MAX_ANONYMOUS = 10_000;

    private final Map<String, ConsoleSession> sessions = new ConcurrentHashMap<>();

    @ConfigProperty(name = "hookline.console.session-idle-minutes", defaultValue = "480")
    long idleMinutes;

    @ConfigProperty(name = "hookline.console.secure-cookie", defaultValue = "true")
    boolean secureCookie;

    /** The live session named by a cookie value, refreshed; empty when unknown or idle too long. */
    public Optional<ConsoleSession> find(String cookie) {
        if (cookie == null || cookie.isBlank()) {
            return Optional.empty();
        }
        ConsoleSession s = sessions.get(cookie);
        Instant now = Instant.now();
        if (s == null) {
            return Optional.empty();
        }
        if (s.lastUsed().plus(Duration.ofMinutes(idleMinutes)).isBefore(now)) {
            sessions.remove(cookie, s);
            return Optional.empty();
        }
        s.touch(now);
        return Optional.of(s);
    }

    /** A new anonymous session (it carries the CSRF token of the sign-in form). */
    public ConsoleSession anonymous() {
        purge();
        ConsoleSession s = new ConsoleSession(randomId(), randomId(), null, null, List.of(), Instant.now());
        sessions.put(s.id(), s);
        return s;
    }

    /**
     * Signs in: the previous (anonymous) session is dropped and a session with a new id holds the
     * client, so an id planted before sign-in is worthless after it.
     */
    public ConsoleSession signIn(ConsoleSession previous, RegistryClient client, String principal, List<String> roles) {
        if (previous != null) {
            sessions.remove(previous.id());
        }
        ConsoleSession s = new ConsoleSession(randomId(), randomId(), client, principal, roles, Instant.now());
        sessions.put(s.id(), s);
        LOG.infof("console sign-in: %s %s", principal, roles);
        return s;
    }

    /** Ends a session on the server; its cookie is worthless afterwards. */
    public void signOut(ConsoleSession s) {
        if (s != null && sessions.remove(s.id()) != null && s.signedIn()) {
            LOG.infof("console sign-out: %s", s.principal());
        }
    }

    /** The Set-Cookie value for a session (Path=/, HttpOnly, SameSite=Strict, Secure unless configured off). */
    public String cookie(ConsoleSession s) {
        return COOKIE + "=" + s.id() + "; Path=/; HttpOnly; SameSite=Strict" + (secureCookie ? "; Secure" : "");
    }

    /** A Set-Cookie value that deletes the session cookie. */
    public String clearedCookie() {
        return COOKIE + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" + (secureCookie ? "; Secure" : "");
    }

    /** Constant-time comparison of a submitted CSRF token with the session's. */
    public static boolean csrfMatches(ConsoleSession s, String submitted) {
        return s != null && submitted != null && MessageDigest.isEqual(
                s.csrf().getBytes(StandardCharsets.US_ASCII), submitted.getBytes(StandardCharsets.US_ASCII));
    }

    /** Number of live sessions (for tests and metrics). */
    public int size() {
        return sessions.size();
    }

    private void purge() {
        Instant cutoff = Instant.now().minus(Duration.ofMinutes(idleMinutes));
        sessions.values().removeIf(s -> s.lastUsed().isBefore(cutoff));
        if (sessions.size() > MAX_ANONYMOUS) {
            // a flood of anonymous sign-in page views: drop anonymous sessions first
            sessions.values().removeIf(s -> !s.signedIn());
        }
    }

    private static String randomId() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
