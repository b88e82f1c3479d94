#!/usr/bin/env python3
"""Writes the document pairs of the diff tests: tests/data/diff/<case>/{old,new}.yaml.

Each case is base.yaml (old) and base.yaml with a few text edits (new), so a
pair differs by exactly the change its name says; a case listed in STARTS
starts from base.yaml with its own edits instead (a limit to raise needs one
to start from). Run it after editing
base.yaml or a case below, then refresh the expected reports with
`INVITATIONS_UPDATE_SNAPSHOTS=1 cargo test -p invitations-cli --test diff` and review them.
"""
import pathlib

HERE = pathlib.Path(__file__).parent
BASE = (HERE / "base.yaml").read_text()

NEW_GET = """    get:
      tags: [acme]
      operationId: acme_get_thing
      security:
        - acmeBearer: []
      parameters:
        - name: thing_id
          in: path
          required: true
          schema:
            type: string
            format: uuid
      responses:
        '200':
          description: The thing.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/AcmeThing'
"""

# case name -> list of (old text, new text) edits applied to base.yaml.
CASES = {
    "identical": [],
    "description-only": [
        ("          description: The things.\n", "          description: Every thing.\n"),
    ],
    "operation-added": [
        ("components:\n", "    delete:\n      tags: [acme]\n      operationId: acme_delete_things\n      security:\n        - acmeBearer: []\n      responses:\n        '204':\n          description: Deleted.\ncomponents:\n"),
    ],
    "path-added": [
        ("components:\n", "  /things/{thing_id}:\n" + NEW_GET + "components:\n"),
    ],
    "parameter-added-optional": [
        ("            type: string\n      responses:\n        '200':",
         "            type: string\n        - name: limit\n          in: query\n          required: false\n          schema:\n            type: integer\n      responses:\n        '200':"),
    ],
    "parameter-added-required": [
        ("            type: string\n      responses:\n        '200':",
         "            type: string\n        - name: limit\n          in: query\n          required: true\n          schema:\n            type: integer\n      responses:\n        '200':"),
    ],
    "parameter-became-required": [
        ("          in: query\n          required: false\n", "          in: query\n          required: true\n"),
    ],
    "parameter-type-changed": [
        ("          in: query\n          required: false\n          schema:\n            type: string\n",
         "          in: query\n          required: false\n          schema:\n            type: integer\n"),
    ],
    "request-property-added-optional": [
        ("        size:\n          $ref", "        color:\n          type: string\n        size:\n          $ref"),
    ],
    "request-property-added-required": [
        ("      required: [name]\n      properties:\n        name:\n          type: string\n        note:",
         "      required: [name, color]\n      properties:\n        name:\n          type: string\n        color:\n          type: string\n        note:"),
    ],
    "request-property-became-required": [
        ("      required: [name]\n", "      required: [name, note]\n"),
    ],
    "request-property-became-nullable": [
        ("      required: [name]\n      properties:\n        name:\n          type: string\n",
         "      required: [name]\n      properties:\n        name:\n          type: string\n          nullable: true\n"),
    ],
    "request-property-type-changed": [
        ("      required: [name]\n      properties:\n        name:\n          type: string\n",
         "      required: [name]\n      properties:\n        name:\n          type: string\n          format: uuid\n"),
    ],
    "response-property-added": [
        ("        note:\n          type: string\n        state:", "        note:\n          type: string\n        color:\n          type: string\n        state:"),
    ],
    "response-property-became-required": [
        ("      required: [id, name]\n", "      required: [id, name, count]\n"),
    ],
    "response-property-became-nullable": [
        ("        name:\n          type: string\n        count:", "        name:\n          type: string\n          nullable: true\n        count:"),
    ],
    "response-property-type-changed": [
        ("          type: integer\n          format: int32\n", "          type: integer\n          format: int64\n"),
    ],
    "response-enum-value-added-closed": [
        ("      enum: [new, done]\n", "      enum: [new, done, lost]\n"),
    ],
    "response-enum-value-added-open": [
        ("          enum: [box, bag]\n", "          enum: [box, bag, crate]\n"),
    ],
    "request-enum-value-added": [
        ("      enum: [small, large]\n", "      enum: [small, large, huge]\n"),
    ],
    "response-status-added": [
        ("        '409':\n", "        '404':\n          description: Not found.\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/AcmeError'\n        '409':\n"),
    ],
    "error-schema-changed": [
        ("    AcmeError:\n      type: object\n      required: [errors]\n      properties:\n        errors:\n          type: array\n          items:\n            type: string\n",
         "    AcmeError:\n      type: array\n      items:\n        type: string\n"),
    ],
    "security-changed": [
        ("    post:\n      tags: [acme]\n      operationId: acme_create_thing\n      security:\n        - acmeBearer: []\n",
         "    post:\n      tags: [acme]\n      operationId: acme_create_thing\n      security:\n        - acmeKey: []\n"),
        ("      scheme: bearer\n", "      scheme: bearer\n    acmeKey:\n      type: apiKey\n      in: header\n      name: x-api-key\n"),
    ],
    "security-scheme-changed": [
        ("    acmeBearer:\n      type: http\n      scheme: bearer\n", "    acmeBearer:\n      type: apiKey\n      in: header\n      name: x-api-key\n"),
    ],
    "server-url-changed": [
        ("  - url: https://api.acme.test\n", "  - url: https://api.acme.example\n"),
    ],
    "vendor-added": [
        ("    x-vendor: acme\n", "    x-vendor: acme\n  - url: https://api.zeta.test\n    x-vendor: zeta\n"),
        ("components:\n", "  /zeta/ping:\n    get:\n      tags: [zeta]\n      operationId: zeta_ping\n      responses:\n        '204':\n          description: Pong.\ncomponents:\n"),
    ],
    "schema-renamed": [
        ("                $ref: '#/components/schemas/AcmeThing'\n        '400'", "                $ref: '#/components/schemas/AcmeItem'\n        '400'"),
        ("                  $ref: '#/components/schemas/AcmeThing'\n", "                  $ref: '#/components/schemas/AcmeItem'\n"),
        ("    AcmeThing:\n", "    AcmeItem:\n"),
    ],
    "schema-moved-inline": [
        ("          $ref: '#/components/schemas/AcmeSize'\n", "          type: string\n          enum: [small, large]\n"),
        ("    AcmeSize:\n      type: string\n      enum: [small, large]\n", ""),
    ],
    # A length limit turns the field into a checked newtype: no wire rule
    # names it yet, the generated code shows it (rust-api-changed).
    "request-property-max-length-added": [
        ("        note:\n          type: string\n        size:", "        note:\n          type: string\n          maxLength: 35\n        size:"),
    ],
    # A pattern: a checked newtype too, which needs `regress` to compile.
    "request-property-pattern-added": [
        ("        note:\n          type: string\n        size:", "        note:\n          type: string\n          pattern: '^[a-z]+$'\n        size:"),
    ],
    # Limits, per direction (old -> new tightens, new -> old loosens).
    "request-string-limits": [
        ("        name:\n          type: string\n        note:\n          type: string\n        size:",
         "        name:\n          type: string\n          minLength: 2\n          maxLength: 64\n        note:\n          type: string\n        size:"),
    ],
    "request-number-limits": [
        ("        quantity:\n          type: integer\n", "        quantity:\n          type: integer\n          minimum: 1\n          maximum: 100\n          multipleOf: 5\n"),
    ],
    "request-array-limits": [
        ("        tags:\n          type: array\n", "        tags:\n          type: array\n          minItems: 1\n          maxItems: 10\n          uniqueItems: true\n"),
    ],
    "response-string-limits": [
        ("        note:\n          type: string\n        state:", "        note:\n          type: string\n          minLength: 1\n          maxLength: 500\n          pattern: '^[^<>]*$'\n        state:"),
    ],
    "response-number-limits": [
        ("        count:\n          type: integer\n          format: int32\n", "        count:\n          type: integer\n          format: int32\n          minimum: 0\n          maximum: 1000\n          multipleOf: 2\n"),
    ],
    "response-array-limits": [
        ("        errors:\n          type: array\n", "        errors:\n          type: array\n          minItems: 1\n          maxItems: 10\n          uniqueItems: true\n"),
    ],
    # A schema both directions use, changed in ways that cannot be ordered.
    "constraints-changed": [
        ("      pattern: '^[A-Z]+$'", "      pattern: '^[A-Z0-9]+$'"),
        ("      multipleOf: 2\n", "      multipleOf: 3\n"),
    ],
    "default-changed": [
        ("        quantity:\n          type: integer\n", "        quantity:\n          type: integer\n          default: 1\n"),
        ("        count:\n          type: integer\n          format: int32\n", "        count:\n          type: integer\n          format: int32\n          default: 0\n"),
    ],
    "read-only-write-only": [
        ("        note:\n          type: string\n        size:", "        note:\n          type: string\n          readOnly: true\n        size:"),
        ("        note:\n          type: string\n        state:", "        note:\n          type: string\n          writeOnly: true\n        state:"),
    ],
    "deprecated": [
        ("      operationId: acme_list_things\n", "      operationId: acme_list_things\n      deprecated: true\n"),
        ("        - name: color\n          in: query\n", "        - name: color\n          in: query\n          deprecated: true\n"),
        ("        note:\n          type: string\n        size:", "        note:\n          type: string\n          deprecated: true\n        size:"),
        ("        note:\n          type: string\n        state:", "        note:\n          type: string\n          deprecated: true\n        state:"),
    ],
    # Removing what was deprecated is a lesser break.
    "deprecated-operation-removed": [
        ("  /legacy-things:\n    get:\n      tags: [acme]\n      operationId: acme_list_legacy_things\n      deprecated: true\n      security:\n        - acmeBearer: []\n      responses:\n        '204':\n          description: Nothing any more.\n", ""),
    ],
    # Composition: variants per direction, allOf flattened, extra properties.
    "variant-added": [
        ("      oneOf:\n        - type: string\n        - type: integer\n", "      oneOf:\n        - type: string\n        - type: integer\n        - type: boolean\n"),
    ],
    "all-of-split": [
        ("    AcmeError:\n      type: object\n      required: [errors]\n      properties:\n",
         "    AcmeError:\n      allOf:\n        - type: object\n          description: Nothing but the list.\n        - type: object\n          required: [errors]\n          properties:\n"),
        ("        errors:\n          type: array\n          items:\n            type: string\n",
         "            errors:\n              type: array\n              items:\n                type: string\n"),
    ],
    "additional-properties-tightened": [
        ("    AcmeCreateThingRequest:\n      type: object\n", "    AcmeCreateThingRequest:\n      type: object\n      additionalProperties: false\n"),
        ("    AcmeThing:\n      type: object\n", "    AcmeThing:\n      type: object\n      additionalProperties: false\n"),
    ],
    "header-parameter-added": [
        ("        - name: color\n", "        - name: X-Request-Id\n          in: header\n          required: false\n          schema:\n            type: string\n            format: uuid\n        - name: color\n"),
    ],
    # An equivalent schema: the generated code is byte-identical.
    "property-wrapped-in-all-of": [
        ("        size:\n          $ref: '#/components/schemas/AcmeSize'\n", "        size:\n          allOf:\n            - $ref: '#/components/schemas/AcmeSize'\n"),
    ],
    "operation-path-changed": [
        ("    post:\n      tags: [acme]\n      operationId: acme_create_thing\n",
         "  /things/new:\n    post:\n      tags: [acme]\n      operationId: acme_create_thing\n"),
    ],
    "enum-became-open": [
        ("    AcmeState:\n      type: string\n      enum: [new, done]\n",
         "    AcmeState:\n      x-open-enum: true\n      type: string\n      anyOf:\n        - type: string\n          enum: [new, done]\n        - type: string\n"),
    ],
    "request-body-became-optional": [
        ("      requestBody:\n        required: true\n", "      requestBody:\n        required: false\n"),
    ],
    "operation-renamed": [
        ("operationId: acme_list_things\n", "operationId: acme_find_things\n"),
    ],
    # A response limit the generated type checks, loosened: old clients
    # refuse the longer values; the generated API is the same.
    "response-max-length-raised": [
        ("          maxLength: 50\n", "          maxLength: 500\n"),
    ],
    "response-pattern-removed": [
        ("          pattern: '^[^<>]*$'\n", ""),
    ],
    # Limits the generated code does not check: a uuid is read as `Uuid`,
    # an int32 as `i32` whatever its bounds (identical code).
    "response-uuid-max-length-removed": [
        ("          format: uuid\n          maxLength: 36\n", "          format: uuid\n"),
    ],
    "response-maximum-raised": [
        ("          maximum: 100\n", "          maximum: 1000\n"),
    ],
    # A query parameter that gains an enum refuses the other values.
    "parameter-enum-added": [
        ("          in: query\n          required: false\n          schema:\n            type: string\n",
         "          in: query\n          required: false\n          schema:\n            type: string\n            enum: [red, blue]\n"),
    ],
}

RESPONSE_NOTE = "        note:\n          type: string\n        state:"

# case name -> edits that make its old document from base.yaml (the other
# cases start from base.yaml itself).
STARTS = {
    "response-max-length-raised": [
        (RESPONSE_NOTE, "        note:\n          type: string\n          maxLength: 50\n        state:"),
    ],
    "response-pattern-removed": [
        (RESPONSE_NOTE, "        note:\n          type: string\n          pattern: '^[^<>]*$'\n        state:"),
    ],
    "response-uuid-max-length-removed": [
        ("          type: string\n          format: uuid\n        name:", "          type: string\n          format: uuid\n          maxLength: 36\n        name:"),
    ],
    "response-maximum-raised": [
        ("        count:\n          type: integer\n          format: int32\n", "        count:\n          type: integer\n          format: int32\n          maximum: 100\n"),
    ],
}


def edited(name, text, edits):
    """`text` with each (old text, new text) edit applied once."""
    for old_text, new_text in edits:
        if old_text not in text:
            raise SystemExit(f"{name}: edit not found: {old_text!r}")
        text = text.replace(old_text, new_text, 1)
    return text


unknown = set(STARTS) - set(CASES)
if unknown:
    raise SystemExit(f"STARTS names cases that do not exist: {sorted(unknown)}")
for name, edits in CASES.items():
    old = edited(name, BASE, STARTS.get(name, []))
    new = edited(name, old, edits)
    if name != "identical" and new == old:
        raise SystemExit(f"{name}: no change")
    case = HERE / name
    case.mkdir(exist_ok=True)
    (case / "old.yaml").write_text(old)
    (case / "new.yaml").write_text(new)
print(f"wrote {len(CASES)} cases")
