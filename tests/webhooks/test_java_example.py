"""The Java ``verify`` of docs/webhooks.md, taken from the page, compiled with javac and run on a real delivery:
it accepts the delivery as sent and refuses a changed body or another secret."""
import re
import shutil
import subprocess

import pytest

from .test_delivery import DOC, units_in

pytestmark = [pytest.mark.infra,
              pytest.mark.skipif(shutil.which("javac") is None, reason="no JDK (javac) on this machine")]

MAIN = """
public class Verify {
%s
    public static void main(String[] args) throws Exception {
        byte[] body = java.nio.file.Files.readAllBytes(java.nio.file.Path.of(args[3]));
        System.out.println(verify(args[0], args[1], args[2], body));
    }
}
"""


@pytest.fixture(scope="module")
def verifier(tmp_path_factory):
    """The documented method in a class of its own, compiled once."""
    code = re.search(r"```java\n(.*?)```", DOC.read_text(), re.S).group(1)
    folder = tmp_path_factory.mktemp("java")
    (folder / "Verify.java").write_text(MAIN % code)
    subprocess.run(["javac", "Verify.java"], cwd=folder, check=True, capture_output=True, timeout=120)

    def verify(secret: str, headers: dict, body: bytes) -> bool:
        (folder / "body").write_bytes(body)
        ran = subprocess.run(["java", "-cp", str(folder), "Verify", secret, headers["Zhibu-Timestamp"],
                              headers["Zhibu-Signature"], str(folder / "body")],
                             check=True, capture_output=True, text=True, timeout=60)
        return ran.stdout.strip() == "true"

    return verify


def test_the_documented_java_example_verifies_a_real_delivery(world, receiver, verifier):
    platform = receiver()
    sub = world.subscribe(platform.url, ["org.unit.*"], under="county")
    units_in(world, "township", 1, "邹城第")
    assert world.loop().drain(sub["id"]) == 1
    (delivery,) = platform.got
    assert "邹城第".encode() in delivery["body"]  # the body carries UTF-8, signed as bytes
    assert verifier(sub["secret"], delivery["headers"], delivery["body"]) is True
    assert verifier(sub["secret"], delivery["headers"], delivery["body"] + b" ") is False
    assert verifier("whsec_another", delivery["headers"], delivery["body"]) is False
