package de.geolead.api;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ApiAuthTest {

    static final String ADMIN = "admin-token-for-the-auth-test-01";
    static final String VIEWER = "viewer-token-for-the-auth-test-01";
    static ApiAuth auth;

    @BeforeAll
    static void tokens(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tokens");
        Files.writeString(file, ApiTokens.line("boss", "admin", ADMIN.toCharArray()) + "\n"
                + ApiTokens.line("desk", "viewer", VIEWER.toCharArray()) + "\n");
        auth = new ApiAuth(ApiTokens.read(file));
    }

    @Test
    void aViewerReadsAnAdminReadsAndWrites() {
        assertThat(auth.check("Bearer " + VIEWER, "GET")).isEqualTo(new ApiUser("desk", "viewer"));
        assertThat(auth.check("bearer " + VIEWER, "HEAD").name()).isEqualTo("desk");
        assertThat(auth.check("Bearer " + ADMIN, "GET").isAdmin()).isTrue();
        for (String write : new String[] {"POST", "PUT", "DELETE", "PATCH"}) {
            assertThat(auth.check("Bearer " + ADMIN, write).name()).isEqualTo("boss");
            assertThatThrownBy(() -> auth.check("Bearer " + VIEWER, write))
                    .isInstanceOfSatisfying(ApiProblem.class, p -> assertThat(p.status()).isEqualTo(403));
        }
    }

    @Test
    void noUnknownOrNonBearerCredentialsAre401() {
        for (String header : new String[] {null, "", "Bearer", "Bearer ", "Basic Ym9zczpzZWNyZXQ=", "Bearer " + ADMIN + "x", ADMIN}) {
            assertThatThrownBy(() -> auth.check(header, "GET"))
                    .as("Authorization: %s", header)
                    .isInstanceOfSatisfying(ApiProblem.class, p -> {
                        assertThat(p.status()).isEqualTo(401);
                        assertThat(p.error()).isEqualTo("unauthorized");
                    });
        }
    }

    @Test
    void withoutATokensFileEveryCallIs503ApiOff() {
        ApiAuth off = new ApiAuth(null);

        assertThat(off.enabled()).isFalse();
        assertThatThrownBy(() -> off.check("Bearer " + ADMIN, "GET"))
                .isInstanceOfSatisfying(ApiProblem.class, p -> {
                    assertThat(p.status()).isEqualTo(503);
                    assertThat(p.error()).isEqualTo("api_off");
                    assertThat(p.detail()).contains("GEOLEAD_API_TOKENS_FILE");
                });
    }
}
