"""The REST service's documentation: the pages, offline, and what the schema
cannot infer from the endpoints' signatures.

``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) load their scripts from the
``fastapi-offline`` wheel's ``static/`` folder (a pinned PyPI dependency,
MIT), served by this app under ``/docs-assets``: FastAPI's own pages fetch
them from a CDN and are blank on a machine with no network. The pages'
Content-Security-Policy lets them reach no other host.

The ``options`` form field is one JSON object; its schema is generated from
the option dataclasses' declarations (type, default, ``range=``,
``choices=``, help), so the API, the CLI and the validation cannot disagree.
The response models document the answers; they do not filter them.
"""

from __future__ import annotations

import json
import typing
from dataclasses import fields
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from ..motion import ARKIT_NAMES, LAYERS, POSE_NAMES, SCHEMA_VERSION
from ..options import option_types
from .jobs import STATES

ASSETS = "/docs-assets"
# The pages may use nothing from another host: ReDoc's "by Redocly" badge
# would fetch its logo from a CDN (offline it only fails, but no page of
# this server calls out). Inline code, eval (ReDoc's schema validator) and
# blobs stay allowed: both scripts need them.
_SAME_HOST_ONLY = "default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob:"
_JSON_TYPES = {int: "integer", float: "number", str: "string"}

DESCRIPTION = (
    "Make a portrait talk: submit a photo and speech, poll the job, download the video, "
    "the ARKit-52 track (csv) or the 3D face (glb); or get a short clip's motion at once.\n\n"
    "Errors answer `{\"detail\": \"...\"}`. With `--api-key`, every `/v1/` call needs the key in "
    "`X-API-Key` (or `Authorization: Bearer`).\n\n"
    "Live speech: the WebSocket `/v1/stream` takes 16 kHz 16-bit mono PCM and answers ARKit "
    "frames (docs/stream.md); `/v1/live?portrait=ID` (a portrait stored with `POST /v1/portraits`) "
    "answers the portrait drawn talking, JPEG frames with their audio (docs/live.md). OpenAPI does "
    "not describe WebSockets, so they are not listed below."
)


class Error(BaseModel):
    detail: str = Field(description="what is wrong, and what to do about it")


class BadInput(BaseModel):
    detail: str | list[dict[str, Any]] = Field(
        description="what is wrong: a sentence naming the upload or option; for a missing or mistyped "
                    "form field, FastAPI's list of errors (loc, msg, type)")


class Submitted(BaseModel):
    id: str = Field(description="the job's id: 32 hex digits")
    state: Literal["queued"]


class JobStatus(BaseModel):
    id: str = Field(description="the job's id")
    state: Literal[STATES] = Field(description="queued, then running, then done, failed or cancelled")
    progress: float = Field(ge=0, le=1, description="share of the video's frames rendered")
    error: str | None = Field(description="why the job failed, naming the uploads as they were sent; "
                                          "null unless failed")
    attempts: int = Field(description="how often a render of it started: above 1 when a server was "
                                      "stopped during it (the job is queued again and finishes once)")


class CancelAnswer(BaseModel):
    id: str
    state: Literal[STATES] = Field(description="cancelled for a queued or running job (a running one stops "
                                               "at its next frame); a finished job keeps its state")


class PortraitStored(BaseModel):
    portrait: str = Field(description="the portrait's id (32 hex digits), for `/v1/live?portrait=`")


class SessionDescription(BaseModel):
    """A WebRTC session description, as the browser's
    ``RTCPeerConnection.localDescription`` gives it."""

    sdp: str = Field(description="the SDP text")
    type: str = Field(description='"offer" from the browser, "answer" from the server', examples=["offer"])


class MotionTrack(BaseModel):
    """The MotionTrack as JSON (emoface.export.json_track): what ``emoface
    blendshapes -o track.json`` writes, lossless."""

    format: Literal["emoface.motion"]
    # "schema" would shadow a BaseModel method: an alias keeps the wire name.
    schema_: int = Field(alias="schema", description=f"format version, {SCHEMA_VERSION} now")
    fps: float = Field(description="frames per second")
    frames: int = Field(description="how many frames (rows) the track has")
    blendshapes: list[str] = Field(description="the 52 ARKit names, in the order of each row's values",
                                   examples=[list(ARKIT_NAMES)])
    pose_channels: list[str] = Field(description="the names of each pose row's values",
                                     examples=[list(POSE_NAMES)])
    coefficients: list[list[float]] = Field(description="frames rows of 52 blendshape weights, 0 to 1")
    pose: list[list[float]] = Field(description="frames rows of head pose: yaw, pitch, roll (degrees) and "
                                                "x, y, z (cm), as a change from the portrait's own pose")
    layers: dict[str, list[list[float]]] = Field(
        description=f"the rows each layer ({', '.join(LAYERS)}) made before they were combined")


_ERRORS: dict[int, tuple[type[BaseModel], str]] = {
    404: (Error, "no such job"),
    409: (Error, "the job is not done: its state is in the message"),
    413: (Error, "an upload over the server's --max-upload-mb"),
    422: (BadInput, "bad input: an unreadable upload, an unknown or out-of-range option, audio over the "
                    "length cap, neither or both of audio and text"),
    429: (Error, "the queue is full: try again after Retry-After seconds"),
    503: (Error, "as many live sessions as the server's --live-sessions are running: try again later"),
}


def errors(*codes: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of an endpoint that answers these error codes
    (401 is added to every ``/v1/`` call by :class:`ApiDocs` when the
    server has a key). ``descriptions`` (``e404="..."``) say an endpoint's own case."""
    answers: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        model, text = _ERRORS[code]
        answers[code] = {"model": model, "description": descriptions.get(f"e{code}", text)}
    if 429 in answers:
        answers[429]["headers"] = {"Retry-After": {"description": "seconds to wait before trying again",
                                                   "schema": {"type": "integer"}}}
    return answers


def options_schema(*classes: type, caps: dict[str, float] | None = None) -> dict[str, Any]:
    """A JSON schema of the object whose keys are the fields of the option
    dataclasses ``classes``, read from their declarations. ``caps`` lowers
    a field's maximum to this server's limit, which is also the default the
    server fills in."""
    kinds = option_types(*classes)
    props: dict[str, Any] = {}
    for cls in classes:
        hints = typing.get_type_hints(cls)
        for f in fields(cls):
            kind = _JSON_TYPES[kinds[f.name]]
            prop: dict[str, Any] = {"type": [kind, "null"] if type(None) in typing.get_args(hints[f.name]) else kind,
                                    "default": f.default, "description": f.metadata.get("help", "")}
            if "range" in f.metadata:
                prop["minimum"], prop["maximum"] = f.metadata["range"]
            if "choices" in f.metadata:
                prop["enum"] = list(f.metadata["choices"])
            if f.name in (caps or {}):
                prop["maximum"] = prop["default"] = caps[f.name]
            props[f.name] = prop
    return {"type": "object", "properties": props, "additionalProperties": False}


def _line(name: str, prop: dict[str, Any]) -> str:
    """One option as a line of Markdown, for the pages (Swagger UI shows a
    form field's description, not its contentSchema)."""
    kind = prop["type"] if isinstance(prop["type"], str) else " or ".join(prop["type"])
    if "enum" in prop:
        kind = " | ".join(prop["enum"])
    elif "minimum" in prop:
        kind += f", {prop['minimum']:g} to {prop['maximum']:g}"
    return f"- `{name}` ({kind}; default `{json.dumps(prop['default'])}`): {prop['description']}"


def say_form() -> Any:
    """The ``text`` form field: words to speak instead of an upload."""
    return Form(None, description="words to speak with the built-in offline voice (instead of audio)")


def job_id() -> Any:
    """The ``{job_id}`` path parameter."""
    return PathParam(description="the id that POST /v1/videos answered")


#: What GET /v1/jobs/{id}/result answers, by format: the media type and what
#: the file is (the endpoint serves from this table, the schema documents it).
RESULTS = {"mp4": ("video/mp4", "the video"), "csv": ("text/csv", "the ARKit-52 track (Live Link Face)"),
            "glb": ("model/gltf-binary", "the animated 3D face (only when the job was submitted with glb=true)")}
RESULT = {200: {"description": "the file, as an attachment named {id}.{format}",
                "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind, _ in RESULTS.values()}}}


#: The longest speech POST /v1/blendshapes answers synchronously.
BLENDSHAPES_MAX_S = 60.0


def result_format() -> Any:
    """The result's ``format`` query parameter."""
    return Query("mp4", description="; ".join(f"{name}: {what}" for name, (_, what) in RESULTS.items()),
                 json_schema_extra={"enum": list(RESULTS)})


#: The option forms the endpoints declare: their schema's name -> option dataclasses.
_OPTION_FORMS: dict[str, tuple[type, ...]] = {}
_OPTIONS_EXAMPLE = '`{"emotion": "happy", "fps": 30}`'


def options_form(name: str, *classes: type) -> Any:
    """The ``options`` form field: a JSON object of the fields of the
    option dataclasses ``classes``, every key optional; its schema is
    ``name`` in the schema's components (with the server's caps), and the
    page lists it too."""
    _OPTION_FORMS[name] = classes
    return Form(None, description=_form_description(_options_schema(name, *classes)),
                json_schema_extra={"contentMediaType": "application/json",
                                   "contentSchema": {"$ref": f"#/components/schemas/{name}"}})


def _options_schema(name: str, *classes: type, caps: dict[str, float] | None = None) -> dict[str, Any]:
    return {"title": name, **options_schema(*classes, caps=caps)}


def _form_description(schema: dict[str, Any]) -> str:
    lines = "\n".join(_line(key, prop) for key, prop in schema["properties"].items())
    return (f"one JSON object (schema {schema['title']}), e.g. {_OPTIONS_EXAMPLE}; every key is optional, "
            f"an unknown key is an error (422):\n\n{lines}")


def _assets() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


class ApiDocs:
    """One app's documentation pages and what its generated schema lacks.
    Make the app with ``docs_url=None, redoc_url=None``."""

    def __init__(self, app: FastAPI, api_key: bool, caps: dict[str, dict[str, float]] | None = None) -> None:
        self.app, self.api_key = app, api_key
        # Added to the generated schema as they are: FastAPI's own model of a
        # schema would drop their null defaults (it leaves out every None).
        # ``caps`` are this server's limits, by options schema (its audio cap).
        self.schemas = {name: _options_schema(name, *classes, caps=(caps or {}).get(name))
                        for name, classes in _OPTION_FORMS.items()}
        self._generate = app.openapi
        app.openapi = self.openapi  # type: ignore[method-assign]
        app.mount(ASSETS, StaticFiles(directory=_assets()), name="docs-assets")
        app.get("/docs", include_in_schema=False)(self.swagger_page)
        app.get("/redoc", include_in_schema=False)(self.redoc_page)

    def _urls(self, request: Request) -> tuple[str, str]:
        # Behind a proxy that mounts the app under a prefix, the page's URLs carry it.
        root = request.scope.get("root_path", "")
        return root + (self.app.openapi_url or "/openapi.json"), root + ASSETS

    def swagger_page(self, request: Request) -> HTMLResponse:
        spec, assets = self._urls(request)
        page = get_swagger_ui_html(openapi_url=spec, title=f"{self.app.title} API",
                                   swagger_js_url=f"{assets}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{assets}/swagger-ui.css",
                                   swagger_favicon_url=f"{assets}/favicon.png")
        page.headers["Content-Security-Policy"] = _SAME_HOST_ONLY
        return page

    def redoc_page(self, request: Request) -> HTMLResponse:
        spec, assets = self._urls(request)
        page = get_redoc_html(openapi_url=spec, title=f"{self.app.title} API",
                              redoc_js_url=f"{assets}/redoc.standalone.js",
                              redoc_favicon_url=f"{assets}/favicon.png", with_google_fonts=False)
        page.headers["Content-Security-Policy"] = _SAME_HOST_ONLY
        return page

    def _describe_option_forms(self, schemas: dict[str, Any]) -> None:
        """Each options form field's listing, with this server's caps (the
        endpoints were declared before any server had limits)."""
        for body in schemas.values():
            for prop in body.get("properties", {}).values():
                ref = prop.get("contentSchema", {}).get("$ref", "") if isinstance(prop, dict) else ""
                name = ref.rsplit("/", 1)[-1]
                if name in self.schemas:
                    prop["description"] = _form_description(self.schemas[name])

    def openapi(self) -> dict[str, Any]:
        """The generated schema with the options' schemas and, when the
        server has a key, its security scheme and every ``/v1/`` call's 401."""
        if self.app.openapi_schema is None:
            schema = self._generate()  # caches itself in app.openapi_schema, changed here in place
            components = schema.setdefault("components", {})
            components.setdefault("schemas", {}).update(self.schemas)
            self._describe_option_forms(components["schemas"])
            if self.api_key:
                components["schemas"].setdefault("Error", Error.model_json_schema())
                components["securitySchemes"] = {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}
                schema["security"] = [{"ApiKey": []}]
                refused = {"description": "missing or wrong API key: send it as X-API-Key",
                           "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
                for path, operations in schema["paths"].items():
                    for operation in operations.values() if path.startswith("/v1/") else ():
                        operation["responses"]["401"] = refused
        return self.app.openapi_schema
