"""The preset dictionary that payloads written on every request are deflated against.

A journal event or an interaction is a few hundred bytes of JSON, and every byte of it is
billed on DynamoDB. zlib alone gains little on so little text: the first time a key or a
header name appears it is written out in full. Deflated against a dictionary that already
holds them (the keys ``JournalEvent.to_dict`` and ``interaction_to_dict`` write, the request
headers browsers, HTTP clients and API Gateway send, and their common values), each first
occurrence is a back-reference of two or three bytes instead: an event of examples/shop
shrinks by about a third (bench/RESULTS.md section 20).

Items deflated against it (the ``z1`` attribute, adapters/aws/table.py) can only be inflated
with the same bytes: this text never changes. A better one would be a new constant, written
under a new attribute (``z2``) while ``z1`` stays readable.

Deflate looks back at most 32 KB and prefers the nearest match: what is most common comes
last.
"""

from __future__ import annotations

_TEXT = (
    # Request headers and values of common clients and of API Gateway and Lambda URLs.
    '"sec-ch-ua":"\\"Chromium\\";v=\\"","sec-ch-ua-mobile":"?0","sec-ch-ua-platform":'
    '"\\"Windows\\"","sec-fetch-dest":"empty","sec-fetch-mode":"cors","sec-fetch-site":'
    '"same-origin","origin":"https://","referer":"https://","cache-control":"no-cache",'
    '"pragma":"no-cache","connection":"keep-alive","content-length":"","if-none-match":"",'
    '"x-request-id":"","x-amz-date":"","x-amz-security-token":"***","x-api-key":"***",'
    '"authorization":"***","idempotency-key":"","prefer":"",'
    '"user-agent":"curl/8.","user-agent":"python-requests/2.","user-agent":"python-httpx/0.",'
    '"user-agent":"PostmanRuntime/7.","user-agent":"okhttp/4.","user-agent":"axios/1.",'
    '"user-agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 '
    '(KHTML, like Gecko) Chrome/ Safari/537.36","user-agent":"Mozilla/5.0 (Windows NT 10.0; '
    'Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/ Safari/537.36 Edg/",'
    '"user-agent":"Mozilla/5.0 (X11; Linux x86_64; rv:) Gecko/20100101 Firefox/",'
    '"host":"localhost:8080","host":".lambda-url.us-east-1.on.aws",'
    '"host":".execute-api.eu-west-1.amazonaws.com","host":".execute-api.us-east-1.amazonaws.com",'
    '"x-amzn-trace-id":"Root=1-","x-forwarded-for":"","x-forwarded-port":"443",'
    '"x-forwarded-proto":"https","cookie":"***",'
    '"accept-language":"en-US,en;q=0.9","accept-language":"en-GB,en;q=0.9",'
    '"accept-encoding":"gzip, deflate","accept-encoding":"gzip, deflate, br",'
    '"accept":"*/*","accept":"application/json, text/plain, */*","accept":"application/json",'
    '"content-type":"application/json",'
    # Answers' headers the mock sends.
    '"headers":{"X-Mockmind-Fallback-Reason":"","X-Total-Count":"","Location":"/",'
    '"Retry-After":"","Content-Type":"application/problem+json"},'
    # Bodies: what generated and stored answers are made of.
    '"type":"about:blank","title":"Not Found","detail":"","errors":[],'
    '"data":[],"total":,"limit":,"offset":,"next":null,"items":[],"id":"","name":"",'
    '"created_at":"T00:00:00Z","updated_at":"T00:00:00Z","status":"","email":"@example.com",'
    '"description":"",true,false,null,'
    # A journal event (domain/journal.py).
    '"moves":[{"machine":"","entity_id":"","from":null,"to":"","transition":"POST /"}],'
    '"state_changes":[{"key":"","before":null,"after":,"before_set":false,"after_set":true}],'
    '"changes":[{"collection":"","id":"","before":null,"after":{"id":""}}],'
    '{"seq":,"at":17,"request":{"method":"POST","path":"/","query":{},"headers":{'
    '"accept":"application/json","content-type":"application/json"},"body":null},'
    '"response":{"status":201,"headers":{},"body":null},"source":"llm","source":"rule",'
    '"source":"example","source":"offline","source":"store","fallback_reason":null,'
    '"latency_ms":0.,"llm_calls":0,"tokens":0,"cost_usd":0.0,"rules":[],"moves":[],'
    '"changes":[],"state_changes":[]}'
    # An interaction (domain/sessions.py).
    '{"at":17,"method":"GET","path":"/","query":"","status":200,"request_body":null,'
    '"response_body":{"id":""},"source":"offline","source":"store"}'
)

DICTIONARY_1 = _TEXT.encode()
