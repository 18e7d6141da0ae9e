// The dashboard's body as CloudFormation wants it: one JSON string (with ${AWS::Region} left for
// Fn::Sub). The dashboard itself is resources/dashboard.json.
module.exports = () => JSON.stringify(require('./dashboard.json'));
