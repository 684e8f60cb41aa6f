export { handler as chromakey } from "./chromakey";
export { handler as composite } from "./composite";
export { handler as failed } from "./failed";
export { handler as notify } from "./notify";
export { handler as presign } from "./presign";
