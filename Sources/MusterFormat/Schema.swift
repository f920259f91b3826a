import MusterBasics

/// JSON Schemas of the runbook and drill formats, for editors (the YAML
/// language server reads them) and for checks outside Muster. They describe
/// shape only; `muster validate` also checks templates, references and ids.
public enum FormatSchema {
    static let duration = #"{"type": "string", "pattern": "^(?=\\d)(\\d+h)?(\\d+m)?(\\d+s)?$", "description": "90s, 15m, 1h, 1h30m, 2h15m30s"}"#
    static let stringMap = #"{"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}}"#
    static let id = #"{"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"}"#
    static let identifierMap = #"^[A-Za-z_][A-Za-z0-9_]*$"#

    public static let runbook = #"""
    {
      "$schema": "https://json-schema.org/draft/2020-12/schema",
      "$id": "https://muster.dev/schema/runbook-v1.json",
      "title": "Muster runbook, format version 1",
      "type": "object",
      "required": ["muster", "name", "title", "steps"],
      "additionalProperties": false,
      "properties": {
        "muster": {"const": 1},
        "name": \#(id),
        "title": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "owners": {"type": "array", "items": {"type": "string"}},
        "rto": {"$ref": "#/$defs/duration"},
        "rpo": {"$ref": "#/$defs/duration"},
        "escalation": {
          "type": "array",
          "items": {
            "type": "object", "additionalProperties": false, "required": ["after", "contact"],
            "properties": {"after": {"$ref": "#/$defs/duration"}, "contact": {"type": "string", "minLength": 1}}
          }
        },
        "notify": {
          "type": "object", "additionalProperties": false, "required": ["webhook"],
          "properties": {"webhook": {"type": "string", "description": "name of a declared secret holding the webhook URL"}}
        },
        "params": {
          "type": "object",
          "propertyNames": {"pattern": "\#(identifierMap)"},
          "additionalProperties": {
            "type": ["object", "null"], "additionalProperties": false,
            "properties": {
              "description": {"type": "string"},
              "default": {"type": ["string", "number", "boolean"]},
              "choices": {"type": "array", "minItems": 1, "items": {"type": ["string", "number", "boolean"]}},
              "pattern": {"type": "string", "format": "regex"},
              "type": {"enum": ["string", "int", "number", "duration", "bool"]},
              "required": {"type": "boolean"}
            }
          }
        },
        "secrets": {
          "type": "object",
          "propertyNames": {"pattern": "\#(identifierMap)"},
          "additionalProperties": {
            "type": ["object", "null"], "additionalProperties": false,
            "properties": {"env": {"type": "string"}, "file": {"type": "string"}, "description": {"type": "string"}}
          }
        },
        "env": \#(stringMap),
        "requires": {"type": "array", "items": {"type": "string", "pattern": "^\\S+$"}, "description": "programs the automated steps need on PATH"},
        "preflight": {
          "type": "array",
          "description": "read-only checks run by muster preflight and before a run starts",
          "items": {
            "type": "object", "additionalProperties": false, "required": ["title"],
            "properties": {"title": {"type": "string", "minLength": 1}, "run": {"type": "string"}, "http": {"$ref": "#/$defs/http"}, "fix": {"type": "string"}},
            "oneOf": [{"required": ["run"]}, {"required": ["http"]}]
          }
        },
        "steps": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/step"}},
        "finally": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/step"}, "description": "steps that always run when the run ends, however it ends"},
        "deadline": {"$ref": "#/$defs/duration", "description": "whole-run deadline: past it, every prompt says so and offers the escalation ladder"},
        "guards": {"$ref": "#/$defs/guards"}
      },
      "$defs": {
        "duration": \#(duration),
        "stringMap": \#(stringMap),
        "http": {
          "type": "object", "additionalProperties": false, "required": ["url"],
          "properties": {
            "method": {"enum": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "get", "head", "post", "put", "patch", "delete", "options"]},
            "url": {"type": "string"},
            "headers": {"$ref": "#/$defs/stringMap"},
            "body": {"type": "string"},
            "status": {"type": "integer", "minimum": 100, "maximum": 599},
            "body_contains": {"type": "string"}
          }
        },
        "guards": {
          "type": "array", "maxItems": 64,
          "description": "read-only checks polled while the steps of this level run (see Flow in the format)",
          "items": {
            "type": "object", "additionalProperties": false, "required": ["id", "title"],
            "properties": {
              "id": \#(id),
              "title": {"type": "string", "minLength": 1},
              "run": {"type": "string", "minLength": 1, "description": "a read-only command: exit 0 = holds"},
              "http": {"allOf": [{"$ref": "#/$defs/http"}, {"not": {"required": ["body"]}},
                                 {"properties": {"method": {"enum": ["GET", "HEAD", "get", "head"]}}}]},
              "every": {"$ref": "#/$defs/duration", "description": "time between two checks (default 30s)"},
              "timeout": {"$ref": "#/$defs/duration", "description": "time one check may take (default: every, at most 30s); past it the guard is breached"},
              "on_breach": {"enum": ["ask", "rollback", "abort"], "description": "ask (default): continue, roll back or abort, asked at once; rollback or abort stop the running steps first"}
            },
            "oneOf": [{"required": ["run"]}, {"required": ["http"]}]
          }
        },
        "step": {
          "type": "object",
          "required": ["id", "title"],
          "properties": {
            "id": \#(id),
            "title": {"type": "string", "minLength": 1},
            "notes": {"type": "string"},
            "when": {"type": "string", "minLength": 1, "description": "condition: the step runs only if it holds (see Flow in the format)"},
            "steps": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/step"}, "description": "a group: its steps run in order"},
            "parallel": {
              "type": "object", "additionalProperties": false, "required": ["branches"],
              "description": "branches that run at the same time (see Flow in the format)",
              "properties": {
                "max": {"type": "integer", "minimum": 1, "maximum": 100, "description": "branches running at once (default: all)"},
                "on_failure": {"enum": ["finish", "cancel"], "description": "finish: running branches end their step, nothing new starts; cancel: they are stopped"},
                "branches": {"type": "array", "minItems": 2, "items": {"$ref": "#/$defs/step"}}
              }
            },
            "guards": {"$ref": "#/$defs/guards"},
            "for_each": {
              "type": "object", "additionalProperties": false, "required": ["in", "as"],
              "properties": {
                "in": {"oneOf": [{"type": "array", "minItems": 1, "items": {"type": "string", "pattern": "^[A-Za-z0-9._:@-]{1,64}$"}}, {"type": "string", "pattern": "\#(identifierMap)"}]},
                "as": {"type": "string", "pattern": "\#(identifierMap)"},
                "max_parallel": {"type": "integer", "minimum": 1, "maximum": 100},
                "max_failures": {"type": "integer", "minimum": 0, "maximum": 1000}
              }
            },
            "manual": {"type": "array", "items": {"type": "string"}},
            "decide": {
              "type": "object", "additionalProperties": false, "required": ["options"],
              "description": "a decision: the operator types an option (name or number), then one line saying why; the option becomes the value of the step's id",
              "properties": {"options": {"type": "array", "minItems": 2, "uniqueItems": true, "items": {"type": "string", "pattern": "^[a-z][a-z0-9_-]*$"}},
                "default": {"type": "string", "description": "drills only: the option taken when nobody decides within default_after"},
                "default_after": {"type": ["string", "integer"], "description": "drills only: how long the question waits before the default is taken"}},
              "dependentRequired": {"default": ["default_after"], "default_after": ["default"]}
            },
            "ask": {"type": "object", "propertyNames": {"pattern": "\#(identifierMap)"}, "additionalProperties": {"oneOf": [
              {"type": "string"},
              {"type": "object", "required": ["prompt"], "additionalProperties": false,
               "properties": {"prompt": {"type": "string", "minLength": 1}, "secret": {"type": "boolean"}, "type": {"enum": ["string", "int", "number", "duration", "bool"]}, "choices": {"type": "array", "minItems": 1, "items": {"type": ["string", "number", "boolean"]}}, "pattern": {"type": "string", "format": "regex"}}}]}},
            "run": {"type": "string"},
            "wait": {
              "type": "object", "additionalProperties": false,
              "properties": {
                "run": {"type": "string"},
                "http": {"$ref": "#/$defs/http"},
                "until": {"type": ["string", "number", "boolean"]},
                "every": {"$ref": "#/$defs/duration"},
                "timeout": {"$ref": "#/$defs/duration"}
              },
              "oneOf": [{"required": ["run"]}, {"required": ["http"]}]
            },
            "http": {"$ref": "#/$defs/http"},
            "ci": {
              "type": "object", "additionalProperties": false, "required": ["provider"],
              "properties": {
                "provider": {"enum": ["buildbot", "github", "gitlab", "jenkins"]},
                "url": {"type": "string"},
                "builder": {"type": "string"}, "scheduler": {"type": "string"},
                "repo": {"type": "string"}, "workflow": {"type": "string"}, "ref": {"type": "string"},
                "project": {"type": "string"}, "inputs_as": {"enum": ["variables", "inputs"]}, "job": {"type": "string"},
                "inputs": {"$ref": "#/$defs/stringMap"},
                "token": {"type": "string"},
                "timeout": {"$ref": "#/$defs/duration"},
                "cancel_on_stop": {"type": "boolean"}
              }
            },
            "runbook": {"type": "string"},
            "with": {"$ref": "#/$defs/stringMap"},
            "timeout": {"$ref": "#/$defs/duration"},
            "retries": {"type": "integer", "minimum": 0, "maximum": 100},
            "retry_delay": {"$ref": "#/$defs/duration"},
            "expect": {"$ref": "#/$defs/duration"},
            "confirm": {"type": "boolean"},
            "on_failure": {"enum": ["ask", "abort", "continue", "rollback"]},
            "idempotent": {"type": "boolean"},
            "keep_running": {"type": "boolean"},
            "host": {"type": "string", "minLength": 1, "description": "run the script on this machine through ssh: a host name, IP address or ssh config alias, optionally USER@; may be a template"},
            "approval": {"oneOf": [
              {"type": "boolean"},
              {"type": "object", "additionalProperties": false,
               "properties": {"count": {"type": "integer", "minimum": 1, "maximum": 10},
                              "from": {"type": "array", "items": {"type": "string", "pattern": "^[A-Za-z0-9._][A-Za-z0-9._-]*$"}, "uniqueItems": true}}}
            ]},
            "rollback": {"type": "string"},
            "outputs": {
              "type": "object",
              "propertyNames": {"pattern": "\#(identifierMap)"},
              "additionalProperties": {
                "type": "object", "additionalProperties": false,
                "properties": {"regex": {"type": "string"}, "json": {"type": "string"}, "recovery_point": {"type": "boolean"}, "type": {"enum": ["string", "int", "number", "duration", "bool"]}, "choices": {"type": "array", "minItems": 1, "items": {"type": ["string", "number", "boolean"]}}, "pattern": {"type": "string", "format": "regex"}},
                "oneOf": [{"required": ["regex"]}, {"required": ["json"]}]
              }
            }
          },
          "oneOf": [
            {"required": ["manual"], "properties": {"id": true, "title": true, "notes": true, "when": true, "for_each": true, "manual": true, "ask": true}, "additionalProperties": false},
            {"required": ["decide"], "properties": {"id": true, "title": true, "notes": true, "when": true, "for_each": true, "decide": true}, "additionalProperties": false},
            {"required": ["run"], "$ref": "#/$defs/automated",
             "if": {"required": ["host"]}, "then": {"not": {"required": ["keep_running"]}}},
            {"required": ["wait"], "$ref": "#/$defs/automated", "not": {"anyOf": [{"required": ["keep_running"]}, {"required": ["host"]}]}},
            {"required": ["http"], "$ref": "#/$defs/automated", "not": {"anyOf": [{"required": ["keep_running"]}, {"required": ["host"]}]}},
            {"required": ["ci"], "$ref": "#/$defs/automated", "not": {"anyOf": [{"required": ["keep_running"]}, {"required": ["host"]}]}},
            {"required": ["runbook"], "properties": {"id": true, "title": true, "notes": true, "when": true, "runbook": true, "with": true, "confirm": true}, "additionalProperties": false},
            {"required": ["steps"], "properties": {"id": true, "title": true, "notes": true, "when": true, "steps": true, "guards": true, "confirm": true}, "additionalProperties": false},
            {"required": ["parallel"], "properties": {"id": true, "title": true, "notes": true, "when": true, "parallel": true, "guards": true, "confirm": true}, "additionalProperties": false}
          ]
        },
        "automated": {
          "properties": {
            "id": true, "title": true, "notes": true, "when": true, "for_each": true, "run": true, "wait": true, "http": true, "ci": true,
            "timeout": true, "retries": true, "retry_delay": true, "expect": true, "confirm": true,
            "on_failure": true, "idempotent": true, "rollback": true, "outputs": true, "keep_running": true, "host": true, "approval": true
          },
          "additionalProperties": false,
          "not": {"anyOf": [
            {"required": ["run", "wait"]}, {"required": ["run", "http"]}, {"required": ["run", "ci"]},
            {"required": ["wait", "http"]}, {"required": ["wait", "ci"]}, {"required": ["http", "ci"]}
          ]}
        }
      }
    }
    """#

    public static let drill = #"""
    {
      "$schema": "https://json-schema.org/draft/2020-12/schema",
      "$id": "https://muster.dev/schema/drill-v1.json",
      "title": "Muster drill, format version 1",
      "type": "object",
      "required": ["muster", "drill", "runbook"],
      "additionalProperties": false,
      "properties": {
        "muster": {"const": 1},
        "drill": \#(id),
        "runbook": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "schedule": {"type": "string", "description": "5-field cron (names jan-dec, sun-sat allowed) or @yearly/@annually/@monthly/@weekly/@daily/@midnight/@hourly, UTC"},
        "params": \#(stringMap),
        "rto": \#(duration),
        "mode": {"enum": ["live", "rehearsal"]},
        "environment": {"enum": ["production", "staging", "sandbox", "training"], "description": "where the drill runs; by default training with faults, expect_escalation or unavailable, sandbox when a parameter is an endpoint on this machine, else production"},
        "faults": {
          "type": "array",
          "items": {
            "type": "object", "additionalProperties": false, "required": ["step", "fail"],
            "properties": {"step": {"type": "string"}, "fail": {"type": "string"}, "times": {"type": "integer", "minimum": 1}}
          }
        },
        "scenario": {"type": "string", "minLength": 1, "description": "Markdown the trainee is shown when the drill starts (and followers see): the situation they are in"},
        "unavailable": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}, "description": "escalation rungs (their contact, or its beginning) that do not answer in this drill: the trainee must go on to the next"},
        "expect_escalation": {
          "type": "object", "additionalProperties": false, "required": ["within", "contact"],
          "properties": {"within": \#(duration), "contact": {"type": "string"}}
        }
      }
    }
    """#

    /// `runbooks/tests/NAME.yaml` (`muster test`).
    public static let test = #"""
    {
      "$schema": "https://json-schema.org/draft/2020-12/schema",
      "$id": "https://muster.dev/schema/test-v1.json",
      "title": "Muster runbook test, format version 1",
      "type": "object",
      "required": ["muster", "test", "runbook"],
      "additionalProperties": false,
      "properties": {
        "muster": {"const": 1},
        "test": {"type": "string", "minLength": 1, "description": "what the test proves"},
        "runbook": {"type": "string", "minLength": 1},
        "mode": {"enum": ["incident", "drill", "training", "rehearsal"]},
        "params": \#(stringMap),
        "answers": {"type": "object", "description": "by question name, step key or guard key: the line an operator would type",
                    "additionalProperties": {"type": ["string", "number", "boolean"]}},
        "fakes": {
          "type": "object", "description": "by step key: what each automated step does",
          "additionalProperties": {
            "type": "object", "additionalProperties": false,
            "properties": {
              "exit": {"type": "integer", "minimum": 0, "maximum": 255},
              "stdout": {"type": "string"},
              "after": \#(duration),
              "ci": {"enum": ["success", "failed", "cancelled"]},
              "http": {"type": "object", "additionalProperties": false, "required": ["status"],
                       "properties": {"status": {"type": "integer", "minimum": 100, "maximum": 599}, "body": {"type": "string"}}},
              "from": \#(duration)
            }
          }
        },
        "expect": {
          "type": "object", "additionalProperties": false,
          "properties": {
            "outcome": {"enum": ["completed", "failed", "aborted", "rolled_back", "paused"]},
            "ran": {"type": "array", "items": {"type": "string"}},
            "skipped": {"type": "array", "items": {"type": "string"}},
            "rto_met": {"type": "boolean"},
            "critical_path": {"type": "array", "items": {"type": "string"}}
          }
        }
      }
    }
    """#
}
