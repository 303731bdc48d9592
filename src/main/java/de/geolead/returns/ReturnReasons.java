package de.geolead.returns;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The reason codes of a return and their German labels (the link's form); the table's CHECK lists the same codes. */
public final class ReturnReasons {

    public static final String OTHER = "other";

    /** Code → label, in the order the form offers them. */
    public static final Map<String, String> LABELS;
    static {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("no_request", "Kein Verkaufswunsch / keine Anfrage");
        labels.put("unreachable", "Eigentümer nicht erreichbar");
        labels.put("wrong_data", "Falsche Kontaktdaten");
        labels.put("duplicate", "Doppelter Lead");
        labels.put("wrong_region", "Falsche Region / PLZ");
        labels.put(OTHER, "Sonstiges (bitte beschreiben)");
        LABELS = java.util.Collections.unmodifiableMap(labels);
    }

    public static final List<String> CODES = List.copyOf(LABELS.keySet());

    private ReturnReasons() {
    }

    public static boolean isKnown(String code) {
        return code != null && LABELS.containsKey(code);
    }
}
