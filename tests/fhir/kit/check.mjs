// Drive the gateway with fhir-kit-client, as hospital software built on it would.
// Usage: node check.mjs BASE_URL API_KEY REQUESTS_JSON
// REQUESTS_JSON: {"create": <CoverageEligibilityRequest>, "submit": <…>, "refused": <…>}.
// Prints one JSON object: every resource received, and the errors the client raised.
import { Client } from 'fhir-kit-client';

const [baseUrl, key, requestsJson] = process.argv.slice(2);
const requests = JSON.parse(requestsJson);
const client = new Client({ baseUrl, customHeaders: { 'Accept-Language': 'en' } });
client.bearerToken = key;

async function failure(call) {
  try {
    await call();
    return null;
  } catch (error) {
    const response = error.response || {};
    let data = response.data;
    if (typeof data === 'string') data = JSON.parse(data);
    return { status: response.status, resource: data };
  }
}

const found = {};
found.metadata = await client.capabilityStatement();
found.created = await client.create({
  resourceType: 'CoverageEligibilityRequest',
  body: requests.create,
});
found.submitted = await client.operation({
  name: '$submit',
  resourceType: 'CoverageEligibilityRequest',
  input: requests.submit,
});
found.readCreated = await client.read({
  resourceType: 'CoverageEligibilityResponse',
  id: found.created.id,
});
found.readSubmitted = await client.read({
  resourceType: 'CoverageEligibilityResponse',
  id: found.submitted.id,
});
found.refused = await failure(() =>
  client.create({ resourceType: 'CoverageEligibilityRequest', body: requests.refused }),
);
found.missing = await failure(() =>
  client.read({ resourceType: 'CoverageEligibilityResponse', id: '000000000000' }),
);
process.stdout.write(JSON.stringify(found));
