package de.geolead.leadview;

import de.geolead.api.ApiProblem;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LeadCursorTest {

    @Test
    void aCursorComesBackAsTheSamePositionToTheMicrosecond() {
        LeadCursor cursor = new LeadCursor(Instant.parse("2026-11-28T19:37:40.123456Z"), 4711);
        String text = cursor.encode();
        assertThat(text).matches("[A-Za-z0-9_-]+");
        assertThat(LeadCursor.decode(text)).isEqualTo(cursor);
        assertThat(LeadCursor.decode(null)).isNull();
        assertThat(LeadCursor.decode("")).isNull();
    }

    @Test
    void aGarbledOrEditedCursorIsABadRequest() {
        String good = new LeadCursor(Instant.parse("2026-11-28T19:37:40.123456Z"), 4711).encode();
        for (String bad : new String[] {"not a cursor", "%%%", good.substring(1), good + "A", "x".repeat(200),
                Base64.getUrlEncoder().encodeToString("v1|1|2|00000000".getBytes(StandardCharsets.US_ASCII)),
                // the id changed from 4711 to 4712, checksum kept: an edit, not a position
                Base64.getUrlEncoder().withoutPadding().encodeToString(new String(Base64.getUrlDecoder().decode(good),
                        StandardCharsets.US_ASCII).replace("|4711|", "|4712|").getBytes(StandardCharsets.US_ASCII))}) {
            assertThatThrownBy(() -> LeadCursor.decode(bad)).as(bad).isInstanceOf(ApiProblem.class)
                    .satisfies(e -> assertThat(((ApiProblem) e).status()).isEqualTo(400))
                    .hasMessageContaining("cursor");
        }
        // every single changed character is noticed
        char[] chars = good.toCharArray();
        for (int i = 0; i < chars.length; i++) {
            char[] edited = chars.clone();
            edited[i] = edited[i] == 'A' ? 'B' : 'A';
            String bad = new String(edited);
            assertThatThrownBy(() -> LeadCursor.decode(bad)).as(bad).isInstanceOf(ApiProblem.class);
        }
    }
}
