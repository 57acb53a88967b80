package dev.caravan.passthrough;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RequestPathsTest {

    private final ObjectMapper json = new ObjectMapper();

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        // a top-level field
        "{'a':1,'safetySettings':[]}|safetySettings|{'a':1}|true",
        // a nested field; the object it leaves empty goes too
        "{'a':1,'generationConfig':{'speechConfig':{}}}|generationConfig.speechConfig|{'a':1}|true",
        "{'generationConfig':{'t':1,'speechConfig':{}}}|generationConfig.speechConfig|{'generationConfig':{'t':1}}|true",
        // an element left empty goes, and an array left empty
        "{'a':1,'tools':[{'googleSearch':{}}]}|tools[0].googleSearch|{'a':1}|true",
        "{'tools':[{'f':1},{'googleSearch':{}}]}|tools[1].googleSearch|{'tools':[{'f':1}]}|true",
        // a refused kind stands for its element
        "{'tools':[{'type':'web_search','x':1},{'type':'function'}]}|tools[0].type|{'tools':[{'type':'function'}]}|true",
        "{'c':[{'parts':[{'t':1},{'inlineData':{'mimeType':'video/mp4','data':'x'}}]}]}|c[0].parts[1].inlineData.mimeType|{'c':[{'parts':[{'t':1}]}]}|true",
        // a path that leads nowhere changes nothing
        "{'a':1}|b.c|{'a':1}|false",
        "{'a':[1]}|a[3]|{'a':[1]}|false",
        "{'a':1}|a..b|{'a':1}|false",
    })
    void removesWhatARefusalNames(String body, String path, String left, boolean removed) throws Exception {
        ObjectNode root = (ObjectNode) json.readTree(body.replace('\'', '"'));

        assertThat(RequestPaths.remove(root, path)).isEqualTo(removed);
        assertThat(root).isEqualTo(json.readTree(left.replace('\'', '"')));
    }
}
