"""Configuration: pydantic models and the loader that maps errors back to file lines."""

from mockmind.config.loader import LoadedConfig, find_config_file, load_config, parse_config
from mockmind.config.models import MockmindConfig

__all__ = ["LoadedConfig", "MockmindConfig", "find_config_file", "load_config", "parse_config"]
