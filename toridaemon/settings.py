"""One settings model, loaded from every source in a fixed, documented order.

Sources, highest priority first: explicit arguments > environment (`TORI_` prefix) > `.env` file >
YAML file (`--config PATH` or `TORI_CONFIG`) > secrets directory (`$CREDENTIALS_DIRECTORY`) > defaults.
Validation happens on load; a `SettingsError` names each bad field and the source its value came from.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    SettingsConfigDict,
)

from toridaemon.fsutil import read_regular
from toridaemon.pipeline import native
from toridaemon.pipeline.options import PipelineOptions

ENV_PREFIX = "TORI_"
CONFIG_ENV = "TORI_CONFIG"
# TORI_ variables that are not settings but are read elsewhere (the config path, fault injection, `pipeline.native`).
OTHER_ENV = frozenset({CONFIG_ENV, "TORI_FAULTS", native.SWITCH})
DIRECTORY_FIELDS = ("inbox_dir", "outbox_dir", "processed_dir", "failed_dir", "state_dir")
RESTART_REQUIRED = frozenset(
    {"inbox_dir", "outbox_dir", "processed_dir", "failed_dir", "state_dir", "metrics_host", "metrics_port",
     "executor", "dask_scheduler_address", "watch_mode", "recursive", "log_format", "dask_shared_paths",
     "worker_memory_limit_mb", "dask_max_inflight"}
)
DEFAULT_IGNORE = (".*", "*.part", "*.crdownload", "~$*", "*.tmp", "*.swp", "*.error.json")


# What Dask's TCP, TLS and WebSocket transports take: a host (a name, underscores allowed as Docker's DNS gives them,
# an IPv4 address, or a bracketed IPv6 one with its zone) and a port, the scheme optional (tcp).
_SCHEDULER_ADDRESS = re.compile(r"(?:(?:tcp|tls|ws|wss)://)?(?:\[[0-9a-f:.]+(?:%[\w.-]+)?\]|[\w.-]+):(?P<port>\d{1,5})",
                                re.IGNORECASE | re.ASCII)


class Settings(BaseSettings, PipelineOptions):
    """Every setting of the daemon; pipeline fields come from `PipelineOptions`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="forbid", frozen=True, validate_default=True,
        allow_inf_nan=False,
    )

    inbox_dir: Path = Field(Path("var/inbox"), description="Folder watched for incoming PDFs.")
    outbox_dir: Path = Field(Path("var/outbox"), description="Where result JSON files are written.")
    processed_dir: Path = Field(Path("var/processed"), description="Where PDFs go after success (on_success=move).")
    failed_dir: Path = Field(Path("var/failed"), description="Where failed PDFs and their .error.json go.")
    state_dir: Path = Field(Path("var/state"), description="Journal (SQLite) location.")
    max_parallel_workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=1, le=256, description="Files parsed at once."
    )
    max_attempts: int = Field(3, ge=1, le=100, description="Tries before a crashing file goes to failed/.")
    retry_base_seconds: float = Field(
        1.0, gt=0, le=3600, description="Wait before a file's second try; it doubles with each further try, up to "
        "retry_max_seconds (each wait ±20 %)."
    )
    retry_max_seconds: float = Field(
        60.0, gt=0, le=86400, description="Longest wait between two tries of a file; also how often a full disk or "
        "a locked journal is tried again."
    )
    worker_memory_limit_mb: int = Field(
        2048, ge=0, le=1 << 24, description="Address-space cap per worker process in MiB (0 disables)."
    )
    stability_seconds: float = Field(
        2.0, ge=0, description="Quiet time (size and mtime unchanged) before a file is taken."
    )
    settle_seconds: float = Field(
        1.0, ge=0, description="After a close-after-write, how long a file must stay closed and unchanged before "
        "it is taken (writers that close and re-open to append: SMB clients, scanners); never longer than "
        "stability_seconds. 0: at once."
    )
    open_writer_seconds: float = Field(
        300.0, ge=0, description="A file seen created by its writer, and not yet closed by it, is waited for while it "
        "stays quiet up to this long (a writer stalled with it open: a slow download) when the watch reports closes "
        "(inotify); then it is taken anyway, with a warning. 0: quiet time alone decides, as under polling."
    )
    rescan_interval_seconds: float = Field(60.0, gt=0, description="Period of the safety-net rescan of the inbox.")
    shutdown_timeout_seconds: float = Field(30.0, gt=0, description="How long shutdown waits for in-flight files.")
    watch_mode: Literal["auto", "inotify", "polling"] = Field("auto", description="auto: inotify where available.")
    recursive: bool = Field(
        False, description="Process PDFs in subfolders of the inbox too (else subfolders are counted and logged)."
    )
    ignore_patterns: tuple[str, ...] = Field(DEFAULT_IGNORE, description="Glob patterns of names never taken.")
    on_success: Literal["move", "delete", "keep"] = Field("move", description="What happens to a processed PDF.")
    metrics_host: str = Field("127.0.0.1", description="Address of the metrics and health HTTP server.")
    metrics_port: int = Field(9464, ge=0, le=65535, description="Port of the metrics server (0 picks a free one).")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="Lowest level logged.")
    log_format: Literal["auto", "json", "console"] = Field("auto", description="auto: console on a TTY, else JSON.")
    executor: Literal["local", "dask"] = Field("local", description="Where the pipeline runs.")
    dask_scheduler_address: str | None = Field(
        None, description="Dask scheduler, [tcp://|tls://|ws://|wss://]HOST:PORT, e.g. tcp://10.0.0.5:8786.")
    dask_max_inflight: int = Field(64, ge=1, le=1_000_000,
                                   description="Most files submitted to the Dask cluster at once.")
    dask_shared_paths: bool = Field(False, description="Workers see the inbox at the same path (else send bytes).")

    @field_validator(*DIRECTORY_FIELDS, "tessdata_dir", mode="before")
    @classmethod
    def _a_usable_path(cls, value: Any) -> Any:
        if not isinstance(value, str | Path):
            return value  # None for the optional folder, or a type the field itself refuses
        if not str(value).strip():
            # An unset `${VAR}` in a unit file meant the working directory: the daemon took its files.
            raise ValueError("is empty; name a directory")
        if "\0" in str(value):
            raise ValueError("holds a NUL character, which no path can")
        if str(value).startswith("~"):  # neither the daemon nor systemd expands it: a folder named "~" was made
            raise ValueError("starts with '~', which is not expanded here; write the whole path")
        return value

    @field_validator("tessdata_dir")
    @classmethod
    def _an_existing_folder(cls, value: str | None) -> str | None:
        # Only what is there and no folder is refused: with `executor: dask`, the folder is the workers'.
        if value is not None and Path(value).exists() and not Path(value).is_dir():
            raise ValueError(f"{value} is not a folder of *.traineddata files")
        return value

    @field_validator("metrics_host")
    @classmethod
    def _a_host(cls, value: str) -> str:
        if not value.strip():  # passed the check, and the start then failed (exit 3)
            raise ValueError("is empty; give an address such as 127.0.0.1")
        return value

    @field_validator("tessdata_dir", "dask_scheduler_address", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        # Runs before `_a_usable_path` (pydantic runs "before" validators last-defined first).
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("dask_scheduler_address")
    @classmethod
    def _a_scheduler_address(cls, address: str | None) -> str | None:
        # Dask took "garbage", "inproc://" or "tcp://:99999" and the daemon retried them for ever, ready never.
        if address is None:
            return None
        found = _SCHEDULER_ADDRESS.fullmatch(address.strip())
        if found is None or not 0 < int(found.group("port")) < 65536:
            raise ValueError(f"{address!r} is no scheduler address: write [tcp://|tls://|ws://|wss://]HOST:PORT, "
                             "e.g. tcp://10.0.0.5:8786")
        return address.strip()

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_level(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check_dask(self) -> Settings:
        if self.executor == "dask" and not self.dask_scheduler_address:
            raise ValueError("executor=dask needs dask_scheduler_address")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return tuple(source for _, source in _SOURCES.get())

    def pipeline_options(self) -> PipelineOptions:
        """The frozen snapshot a job carries."""
        return PipelineOptions.model_validate(self.model_dump(include=set(PipelineOptions.model_fields)))

    def config_hash(self) -> str:
        dumped = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(dumped.encode()).hexdigest()[:16]


class SettingsError(Exception):
    """Invalid configuration; `problems` lists (field, source, message)."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        self.problems = problems
        lines = [f"{field} (from {source}): {message}" for field, source, message in problems]
        super().__init__("invalid configuration:\n  " + "\n  ".join(lines))


@dataclass(frozen=True, slots=True)
class LoadedSettings:
    settings: Settings
    provenance: dict[str, str]
    config_file: Path | None
    warnings: tuple[str, ...] = ()


class _FixedSource(PydanticBaseSettingsSource):
    """Values read once by `load_settings`, so each source is read exactly once per load."""

    def __init__(self, values: dict[str, Any]) -> None:
        super().__init__(Settings)
        self._values = values

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return self._values


class _SourceSlot:
    """Hands the values of the load in progress to `settings_customise_sources` (loads are serialised)."""

    def __init__(self) -> None:
        self._sources: list[tuple[str, PydanticBaseSettingsSource]] = []

    def set(self, raw: list[tuple[str, dict[str, Any]]]) -> None:
        self._sources = [(name, _FixedSource(values)) for name, values in raw]

    def get(self) -> list[tuple[str, PydanticBaseSettingsSource]]:
        # A bare `Settings()` outside `load_settings` reads the environment and defaults only.
        return self._sources or [("environment", EnvSettingsSource(Settings))]


_SOURCES = _SourceSlot()
_SOURCE_ERRORS = (ValueError, OSError, yaml.YAMLError, RecursionError)
MAX_CONFIG_BYTES = 1024 * 1024
SourceFactory = Callable[[], PydanticBaseSettingsSource]


def _source_factories(
    config_file: Path | None, overrides: Mapping[str, Any], env_file: Path | None, environ: Mapping[str, str] | None
) -> list[tuple[str, SourceFactory]]:
    """The sources of one load, highest priority first, each built only when read."""
    factories: list[tuple[str, SourceFactory]] = [
        ("arguments", lambda: InitSettingsSource(Settings, init_kwargs=dict(overrides))),
        ("environment", lambda: _env_source(environ)),
        (f".env file {env_file}" if env_file else ".env file", lambda: _dotenv_source(env_file)),
    ]
    if config_file is not None:
        factories.append((f"YAML file {config_file}", lambda: _FixedSource(_yaml_mapping(config_file))))
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")  # set by systemd for the process, never per load
    if credentials and Path(credentials).is_dir():
        factories.append(("credentials", lambda: SecretsSettingsSource(Settings, secrets_dir=credentials)))
    return factories


def _dotenv_source(env_file: Path | None) -> PydanticBaseSettingsSource:
    """The `.env` file's `TORI_*` variables: one file often serves several programs (compose files, other
    tools), and their variables are none of ours (they made the whole configuration invalid). A misspelled
    `TORI_*` name is still an error."""
    if env_file is not None:
        _check_dotenv(env_file)
    source = DotEnvSettingsSource(Settings, env_file=env_file)
    source.env_vars = {key: value for key, value in source.env_vars.items() if key.startswith(ENV_PREFIX.lower())}
    return source


def _check_dotenv(env_file: Path) -> None:
    """Refuse a `.env` that is no regular file or folder, or one larger than `MAX_CONFIG_BYTES`, as the config
    file is refused: pydantic-settings reads a FIFO there, which blocked every command and, on a reload, the
    daemon's loop. A missing file or a folder is no `.env`, as before."""
    try:
        info = env_file.stat()
    except FileNotFoundError:
        return
    if stat.S_ISDIR(info.st_mode):
        return
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{env_file} is not a regular file ({stat.filemode(info.st_mode)})")
    if info.st_size > MAX_CONFIG_BYTES:
        raise ValueError(f"{env_file} is larger than {MAX_CONFIG_BYTES} bytes")


def _env_source(environ: Mapping[str, str] | None) -> PydanticBaseSettingsSource:
    source = EnvSettingsSource(Settings)
    if environ is not None:
        source.env_vars = {key.lower(): value for key, value in environ.items()}
    return source


def resolve_config_file(config: str | Path | None, environ: Mapping[str, str] | None = None) -> Path | None:
    """`--config` wins over `TORI_CONFIG`; the file must exist when named."""
    env = os.environ if environ is None else environ
    if config is not None and not str(config).strip():  # `--config "$CONF"` with CONF unset: no silent defaults
        raise SettingsError([("config", "--config", "is empty: name the YAML file, or leave --config out")])
    chosen = config or env.get(CONFIG_ENV)
    if not chosen:
        return None
    path = Path(chosen)
    try:
        regular = stat.S_ISREG(path.stat().st_mode)
    except FileNotFoundError:
        raise SettingsError([("config", "--config" if config else CONFIG_ENV, f"no such file: {path}")]) from None
    except (OSError, ValueError) as exc:  # a symlink loop, an unsearchable folder, a NUL in the name
        problem = f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}"
        raise SettingsError([("config", "--config" if config else CONFIG_ENV, problem)]) from None
    if not regular:
        raise SettingsError([("config", "--config" if config else CONFIG_ENV, f"not a regular file: {path}")])
    return path


def read_config_text(path: Path) -> str:
    """The config file's text: a regular file of at most `MAX_CONFIG_BYTES` (a FIFO put at the path would block
    a reload, and a huge file would hold it, and its RAM, for minutes)."""
    data = read_regular(path, MAX_CONFIG_BYTES)
    return data.decode("utf-8")


def load_settings(
    config: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    env_file: Path | None = Path(".env"),
) -> LoadedSettings:
    """Read every source, validate, and report where each value came from."""
    config_file = resolve_config_file(config, environ)
    raw = _read_sources(_source_factories(config_file, overrides or {}, env_file, environ))
    _SOURCES.set(raw)
    try:
        settings = Settings()
    except ValidationError as exc:
        raise SettingsError(_problems(exc, raw)) from None
    finally:
        _SOURCES.set([])
    provenance = {name: _origin(name, raw) for name in Settings.model_fields}
    _check_directories(settings, provenance)
    _check_concept_files(settings, provenance)
    warnings = unknown_env_warnings(os.environ if environ is None else environ) + _masked_errors(settings, raw)
    return LoadedSettings(settings=settings, provenance=provenance, config_file=config_file, warnings=warnings)


class _ConfigLoader(yaml.SafeLoader):
    """YAML as settings are written: only true and false are booleans (YAML 1.1 also read `ocr: off` and the
    Norwegian `language: no` as false, and then refused them), and a key given twice is an error, not a value
    silently replaced by the later one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *defaults` merges a mapping in; the keys given beside it override its keys
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue  # the mapping's own construction names that error
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"{key!r} is given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


_ConfigLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ConfigLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _yaml_mapping(path: Path) -> dict[str, Any]:
    """The YAML file's settings: empty means none; anything but a mapping is an error naming the file."""
    try:
        data = yaml.load(read_config_text(path), Loader=_ConfigLoader)  # noqa: S506 - a SafeLoader
        expanded = _expanded_size(data, {})  # before anything copies it: validation, the config hash
    except RecursionError:
        raise ValueError(f"{path} nests too deeply; settings are a flat mapping") from None
    if data is None:
        return {}
    if expanded > MAX_CONFIG_BYTES:
        raise ValueError(f"{path} holds more than {MAX_CONFIG_BYTES} characters once its YAML aliases are expanded "
                         "(each *alias stands for a whole copy of what its &anchor names)")
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single value ({str(data)[:40]})"
        raise ValueError(f"{path} holds {kind}; it must be a mapping of setting names to values, "
                         "such as `inbox_dir: /srv/inbox`")
    return {str(key): value for key, value in data.items()}


def _expanded_size(value: Any, sizes: dict[int, int]) -> int:
    """How many characters and items `value` holds with every YAML alias written out, counted once per distinct
    object (`sizes`), so a nested alias bomb is measured in linear time, never expanded. A file of 180 KB that
    named one 100 KB string 20,000 times passed as valid settings, and hashing them took 5 GB on the loop."""
    known = sizes.get(id(value))
    if known is not None:
        return known
    if isinstance(value, str | bytes):
        size = len(value)
    elif isinstance(value, dict):
        size = sum(1 + _expanded_size(key, sizes) + _expanded_size(item, sizes) for key, item in value.items())
    elif isinstance(value, list | tuple | set):
        size = sum(1 + _expanded_size(item, sizes) for item in value)
    else:
        size = 1
    sizes[id(value)] = size
    return size


def unknown_env_warnings(environ: Mapping[str, str]) -> tuple[str, ...]:
    """A sentence for each `TORI_*` variable that names no setting, with the closest setting name."""
    warnings = []
    for key in sorted(environ):
        if not key.upper().startswith(ENV_PREFIX) or key.upper() in OTHER_ENV:
            continue
        field = key[len(ENV_PREFIX):].lower()
        if field in Settings.model_fields:
            continue
        close = _closest_setting(field)
        hint = f"did you mean {ENV_PREFIX}{close.upper()}?" if close else "no setting has a similar name."
        warnings.append(f"The environment variable {key} is not a setting and is ignored; {hint}")
    return tuple(warnings)


def _closest_setting(name: str) -> str | None:
    """The setting whose name is closest to `name` (lowercase, no prefix), if one is close enough."""
    close = difflib.get_close_matches(name, list(Settings.model_fields), n=1, cutoff=0.6)
    return close[0] if close else None


def _overlaps(settings: Settings, resolved: dict[str, Path]) -> Iterator[tuple[str, str, str]]:
    """Pairs of directory settings that name the same directory, or a directory inside the inbox
    while subfolders of the inbox are processed (each pair would feed outputs back as inputs)."""
    for index, first in enumerate(DIRECTORY_FIELDS):
        for second in DIRECTORY_FIELDS[index + 1 :]:
            if resolved[first] == resolved[second]:
                yield first, second, f"{first} and {second} are the same directory ({resolved[first]})"
            elif settings.recursive and first == "inbox_dir" and resolved[first] in resolved[second].parents:
                yield first, second, f"{second} ({resolved[second]}) lies inside {first} and recursive is true"


def _check_directories(settings: Settings, provenance: dict[str, str]) -> None:
    resolved: dict[str, Path] = {}
    problems = []
    for name in DIRECTORY_FIELDS:
        try:
            resolved[name] = getattr(settings, name).resolve()
        except (RuntimeError, OSError) as exc:  # RuntimeError: a symlink loop (OSError from Python 3.13)
            problems.append((name, provenance[name], f"cannot be resolved: {exc}"))
    if problems:
        raise SettingsError(problems)
    problems = [
        (f"{first} and {second}", provenance[second] if provenance[second] != "default" else provenance[first],
         f"{sentence}; give each its own directory, or the daemon takes its own outputs as new inputs")
        for first, second, sentence in _overlaps(settings, resolved)]
    if problems:
        raise SettingsError(problems)


def _check_concept_files(settings: Settings, provenance: dict[str, str]) -> None:
    """User concept databases are read at load time, so a bad one is a configuration error, not a
    failure of every document later."""
    if not settings.concept_db_paths:
        return
    from toridaemon.pipeline.conceptdb import ConceptDBError, check_files

    try:
        check_files(settings.concept_db_paths)
    except ConceptDBError as exc:
        raise SettingsError([("concept_db_paths", provenance["concept_db_paths"], str(exc))]) from None


def _read_sources(factories: list[tuple[str, SourceFactory]]) -> list[tuple[str, dict[str, Any]]]:
    """Read each source on its own, so an unreadable one (bad YAML, bad JSON) is named in the error."""
    raw = []
    for name, factory in factories:
        try:
            values = factory()()
        except _SOURCE_ERRORS as exc:
            raise SettingsError([(_field_in(str(exc)), name, _first_line(exc))]) from None
        raw.append((name, values))
    return raw


def _field_in(message: str) -> str:
    """pydantic-settings names the field in its parse errors (`error parsing value for field "x"`)."""
    found = re.search(r'field "([A-Za-z_]+)"', message)
    return found.group(1) if found else "config"


def _first_line(exc: BaseException) -> str:
    return " ".join((str(exc).strip() or type(exc).__name__).split())[:300]


def _origin(field: str, raw: list[tuple[str, dict[str, Any]]]) -> str:
    for name, values in raw:
        if field in values:
            return name
    return "default"


def _masked_errors(settings: Settings, raw: list[tuple[str, dict[str, Any]]]) -> tuple[str, ...]:
    """A sentence for each invalid value that another source overrides (`max_concepts: lots` in the YAML file under
    `TORI_MAX_CONCEPTS=5`). It is no error, so that a variable can stand in for a file an operator cannot fix now;
    but a file was called valid (`check-config`, a reload) until the variable went, and the next start failed."""
    warnings = []
    for name, values in raw:
        for field, value in values.items():
            if field not in Settings.model_fields or _origin(field, raw) == name:
                continue
            try:  # on a copy, beside the other values in force: frozen is the model's rule, not the validator's
                Settings.__pydantic_validator__.validate_assignment(settings.model_copy(), field, value)
            except ValidationError as exc:
                # The value's own errors only: one between fields (min above max) may come of the values that
                # override the others, not of this source.
                own = [error for error in exc.errors() if error["loc"] and error["loc"][0] == field]
                if own:
                    message = own[0]["msg"].removeprefix("Value error, ")
                    warnings.append(f"{field} in the {name} is invalid ({message}); it is overridden by the "
                                    f"{_origin(field, raw)}, and is an error once that is gone")
            except Exception:  # noqa: S112 - a check that cannot run now (a folder it may not look into) warns of nothing
                continue
    return tuple(warnings)


def _problems(exc: ValidationError, raw: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, str, str]]:
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "settings"
        top = str(error["loc"][0]) if error["loc"] else ""
        # pydantic prefixes messages of validators that raise ValueError with "Value error, ".
        message = error["msg"].removeprefix("Value error, ")
        origin = _origin(top, raw) if top else "combined values"
        if error["type"] == "extra_forbidden":
            message = _unknown_name(top, variables=origin.startswith(".env"))
        problems.append((field, origin, message))
    return problems


def _unknown_name(name: str, *, variables: bool) -> str:
    """Why a name given as a setting is none, with the closest setting's name as that source spells it: a `.env`
    variable (`variables`: `TORI_MAX_CONCEPTS`) or a YAML key (`max_concepts`)."""
    if variables and name.upper() in OTHER_ENV:
        hint = " (or name the YAML file with --config)" if name.upper() == CONFIG_ENV else ""
        return f"is no setting: {name.upper()} is read from the environment only{hint}"
    field = name.lower().removeprefix(ENV_PREFIX.lower()) if variables else name.lower()
    if not variables and field.startswith(ENV_PREFIX.lower()) and field[len(ENV_PREFIX):] in Settings.model_fields:
        return f"is no setting: a YAML key is the setting's name without {ENV_PREFIX} ({field[len(ENV_PREFIX):]})"
    close = _closest_setting(field)
    if close is None:
        return "is no setting, and none has a similar name"
    return f"is no setting; did you mean {ENV_PREFIX + close.upper() if variables else close}?"
