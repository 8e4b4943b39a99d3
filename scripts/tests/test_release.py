"""scripts/release against stand-in binaries: reproducible zips, templates that point at
them, plain CloudFormation without the transform, the Serverless Application Repository's
metadata, and checksums that verify.

Run by the test command with the SAM CLI's venv:
    .venv/bin/python -m unittest discover -s scripts/tests
"""
import hashlib
import os
import subprocess
import tempfile
import tomllib
import unittest
import zipfile
from pathlib import Path

from samcli.yamlhelper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / "scripts" / "release"


def template_functions(path):
    template = yaml_parse(path.read_text())
    return {logical_id: r["Metadata"]["BuildProperties"]["Binary"]
            for logical_id, r in template["Resources"].items()
            if r["Type"] == "AWS::Serverless::Function"}


STACKS = {"keyauth": "template.yaml", "authorizer": "templates/authorizer.yaml",
          "cache-flush": "templates/cache-flush.yaml"}
FUNCTIONS = {k: v for path in STACKS.values() for k, v in template_functions(ROOT / path).items()}


def stand_in_build(directory, mtime):
    """A `sam build` output whose every bootstrap names its function, stamped `mtime`."""
    for logical_id, binary in FUNCTIONS.items():
        bootstrap = directory / logical_id / "bootstrap"
        bootstrap.parent.mkdir(parents=True, exist_ok=True)
        bootstrap.write_bytes(f"#!/bin/sh\necho {binary}\n".encode() * 100)
        bootstrap.chmod(0o644)  # the zip makes it executable whatever the build left
        os.utime(bootstrap, (mtime, mtime))


def release(built, out):
    result = subprocess.run([str(RELEASE), "--built", str(built), "--out", str(out)],
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise AssertionError(f"scripts/release failed:\n{result.stdout}\n{result.stderr}")


def files(directory):
    return {p.relative_to(directory).as_posix(): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


class Release(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        tmp = Path(cls.tmp.name)
        stand_in_build(tmp / "built-a", 1_700_000_000)
        stand_in_build(tmp / "built-b", 1_800_000_000)
        cls.out, cls.again = tmp / "dist-a", tmp / "dist-b"
        release(tmp / "built-a", cls.out)
        release(tmp / "built-b", cls.again)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_the_same_binaries_give_the_same_bytes(self):
        first, second = files(self.out), files(self.again)
        self.assertEqual(sorted(first), sorted(second))
        for name in first:
            self.assertEqual(first[name], second[name], f"{name} differs between two releases")

    def test_each_zip_holds_its_bootstrap_alone_executable(self):
        for binary in set(FUNCTIONS.values()):
            with zipfile.ZipFile(self.out / "functions" / f"{binary}.zip") as archive:
                (info,) = archive.infolist()
                self.assertEqual(info.filename, "bootstrap")
                self.assertEqual(info.date_time, (1980, 1, 1, 0, 0, 0))
                self.assertEqual((info.external_attr >> 16) & 0o777, 0o755)
                self.assertIn(f"echo {binary}".encode(), archive.read("bootstrap"))

    def test_the_sam_templates_deploy_the_zips_without_a_build(self):
        for stack in STACKS:
            template = yaml_parse((self.out / f"{stack}.yaml").read_text())
            functions = {k: r for k, r in template["Resources"].items()
                         if r["Type"] == "AWS::Serverless::Function"}
            self.assertTrue(functions, stack)
            for logical_id, resource in functions.items():
                code_uri = resource["Properties"]["CodeUri"]
                self.assertEqual(code_uri, f"functions/{FUNCTIONS[logical_id]}.zip", logical_id)
                self.assertTrue((self.out / code_uri).is_file(), code_uri)
                self.assertNotIn("BuildMethod", resource.get("Metadata", {}), logical_id)

    def test_the_plain_templates_need_no_transform(self):
        for stack in STACKS:
            template = yaml_parse((self.out / f"{stack}.cfn.yaml").read_text())
            self.assertNotIn("Transform", template)
            types = {r["Type"] for r in template["Resources"].values()}
            self.assertFalse({t for t in types if t.startswith("AWS::Serverless::")}, stack)
            codes = [r["Properties"]["Code"] for r in template["Resources"].values()
                     if r["Type"] == "AWS::Lambda::Function"]
            self.assertTrue(codes, stack)
            for code in codes:
                self.assertTrue((self.out / code).is_file(), f"{stack}: {code}")

    def test_the_plain_template_keeps_the_cache_ttl_a_parameter(self):
        template = yaml_parse((self.out / "keyauth.cfn.yaml").read_text())
        schemes = template["Resources"]["Api"]["Properties"]["Body"]["components"]["securitySchemes"]
        ttls = [scheme["x-amazon-apigateway-authorizer"]["authorizerResultTtlInSeconds"]
                for scheme in schemes.values() if "x-amazon-apigateway-authorizer" in scheme]
        self.assertEqual(ttls, [{"Ref": "AuthorizerCacheTtl"}])

    def test_the_serverless_repo_metadata_carries_the_workspace_version(self):
        with open(ROOT / "Cargo.toml", "rb") as f:
            package = tomllib.load(f)["workspace"]["package"]
        template = yaml_parse((self.out / "keyauth.yaml").read_text())
        metadata = template["Metadata"]["AWS::ServerlessRepo::Application"]
        self.assertEqual(metadata["SemanticVersion"], package["version"])
        self.assertEqual(metadata["SpdxLicenseId"], package["license"])
        for local in ("LicenseUrl", "ReadmeUrl"):
            self.assertTrue((self.out / metadata[local]).is_file(), local)
        for field in ("Name", "Description", "Author"):
            self.assertTrue(metadata[field], field)

    def test_sha256sums_covers_every_file(self):
        lines = (self.out / "SHA256SUMS").read_text().splitlines()
        listed = {}
        for line in lines:
            digest, name = line.split("  ", 1)
            listed[name] = digest
        every = {name for name in files(self.out) if name != "SHA256SUMS"}
        self.assertEqual(set(listed), every)
        for name, digest in listed.items():
            self.assertEqual(hashlib.sha256((self.out / name).read_bytes()).hexdigest(), digest, name)


if __name__ == "__main__":
    unittest.main()
