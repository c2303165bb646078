// Error answers as the Debian Keystone 22 / Glance 25 of the local stack send them.
import { describe, expect, it } from 'vitest';
import { serverMessage } from '../../../clients/openstack/server-message';

const GLANCE_400_HTML = `<html>
 <head>
  <title>400 Bad Request</title>
 </head>
 <body>
  <h1>400 Bad Request</h1>
  Provided object does not match schema &#x27;image&#x27;: 44 is not of type &#x27;string&#x27;

Failed validating &#x27;type&#x27; in schema[&#x27;additionalProperties&#x27;]:
    {&#x27;type&#x27;: &#x27;string&#x27;}

On instance[&#x27;os_version&#x27;]:
    44<br /><br />



 </body>
</html>`;

describe('serverMessage', () => {
  it("takes Keystone's error.message", () => {
    const body = '{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}';
    expect(serverMessage(body, 'application/json')).toBe('The request you have made requires authentication.');
  });

  it("reduces Glance's HTML page to its first sentence, entities decoded", () => {
    expect(serverMessage(GLANCE_400_HTML, 'text/html; charset=UTF-8')).toBe(
      "Provided object does not match schema 'image': 44 is not of type 'string'",
    );
  });

  it("cleans Glance's JSON message (the same text with <br /> and blank lines)", () => {
    const body = '{"message": "No image found with ID 0000<br /><br />\\n\\n\\n", "code": "404 Not Found", "title": "Not Found"}';
    expect(serverMessage(body, 'application/json')).toBe('No image found with ID 0000');
  });

  it('keeps plain text, and clips long bodies', () => {
    expect(serverMessage('Service Unavailable', 'text/plain')).toBe('Service Unavailable');
    expect(serverMessage('x'.repeat(1000), 'text/plain')).toHaveLength(400);
    expect(serverMessage('', null)).toBe('');
  });
});
