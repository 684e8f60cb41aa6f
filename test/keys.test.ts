import { expect } from "chai";
import { decodeEventKey, finalImageUrl, finalKey, parsePhotoKey, photoTopic, processingKey } from "../pipeline/keys";

describe("photo keys", () => {
  it("decodes S3 event keys: '+' is a space, %xx is a byte of UTF-8", () => {
    expect(decodeEventKey("booth+2/selfie%C3%A9+%2B1.jpg")).to.equal("booth 2/selfieé +1.jpg");
    expect(decodeEventKey("3f2a.jpg")).to.equal("3f2a.jpg");
  });

  it("maps <id>.jpg -> <id>.png -> <id>.jpg, keeping any folder", () => {
    const photo = parsePhotoKey("booth 2/3f2a.JPEG");
    expect(photo).to.deep.equal({ base: "booth 2/3f2a", photoId: "3f2a" });
    expect(processingKey(photo!)).to.equal("booth 2/3f2a.png");
    expect(finalKey(photo!)).to.equal("booth 2/3f2a.jpg");
    expect(parsePhotoKey("a.Png")).to.deep.equal({ base: "a", photoId: "a" });
  });

  it("refuses keys that are not photos", () => {
    for (const key of ["folder/", "notes.txt", "photo.jpg.exe", ".jpg", "dir/.png", "photo.gif", ""]) {
      expect(parsePhotoKey(key), key).to.equal(undefined);
    }
  });

  it("builds final URLs with each path segment encoded", () => {
    expect(finalImageUrl("https://d1.cloudfront.net", "booth 2/a+b.jpg")).to.equal(
      "https://d1.cloudfront.net/booth%202/a%2Bb.jpg",
    );
  });

  it("names a photo's own topic from the final key's file name, or none when it cannot be one topic level", () => {
    const id = "0b1c9d2e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";
    expect(photoTopic("notifications", `${id}.jpg`)).to.equal(`notifications/${id}`);
    expect(photoTopic("park/photos", `booth 2/${id}.JPG`)).to.equal(`park/photos/${id}`);
    for (const key of ["a+b.jpg", "x#.jpg", ".jpg", "folder/.jpg", `${"x".repeat(300)}.jpg`]) {
      expect(photoTopic("notifications", key), key).to.equal(undefined);
    }
  });
});
